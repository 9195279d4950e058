/**
 * celeriac: Celery's task queue on AWS (SQS, Lambda, DynamoDB, S3, EventBridge Scheduler), wire-compatible
 * with Python Celery.
 *
 * @example
 * import { createApp } from 'celeriac';
 * const app = createApp();
 * const add = app.task('tasks.add', (a: number, b: number) => a + b);
 * const result = await add.delay(2, 3);
 * console.log(await result.get({ timeoutMs: 10_000 })); // 5
 *
 * @packageDocumentation
 */
import { App } from './app.js';
import { type AwsClients, createAwsClients } from './aws/clients.js';
import { DynamoDbFlowStore } from './aws/dynamodb-flow-store.js';
import { DynamoDbMonitoringStore } from './aws/dynamodb-monitoring-store.js';
import { DynamoDbResultStore } from './aws/dynamodb-result-store.js';
import { DynamoDbRouteStore } from './aws/dynamodb-route-store.js';
import { EventBridgeEtaScheduler } from './aws/eventbridge-eta-scheduler.js';
import { EventBridgeEventBus } from './aws/eventbridge-event-bus.js';
import { S3PayloadStore } from './aws/s3-payload-store.js';
import { SqsBroker } from './aws/sqs-broker.js';
import { hasSchedulerRole } from './config/long-eta-config.js';
import { type AppConfig, type ResolvedConfig, resolveConfig } from './config/resolve-config.js';
import { systemClock } from './ports/clock.js';
import type { Transport } from './transport.js';

export { App, type TaskCall } from './app.js';
export type { ApplyOptions } from './apply-options.js';
export { DynamoDbFlowStore } from './aws/dynamodb-flow-store.js';
export { DynamoDbMonitoringStore } from './aws/dynamodb-monitoring-store.js';
export { DynamoDbTaskIndex } from './aws/dynamodb-task-index.js';
export {
  EventBridgeEtaScheduler,
  type EventBridgeEtaSchedulerOptions,
} from './aws/eventbridge-eta-scheduler.js';
export {
  loadSecuritySecrets,
  type SecuritySecretIds,
  securitySecretIdsFromEnv,
} from './aws/load-security-secrets.js';
export {
  type CrontabSpec,
  crontab,
  type EveryDuration,
  every,
  type Schedule,
  UnsupportedScheduleError,
} from './beat/index.js';
export {
  Canvas,
  type CanvasApplyOptions,
  CanvasError,
  Chain,
  Chord,
  chain,
  chord,
  chunks,
  Group,
  group,
  MapSignature,
  type MissingOf,
  type ResultOf,
  registerMapTasks,
  Signature,
  signature,
  xmap,
  xstarmap,
} from './canvas/index.js';
export type { Client, RevokeOptions, TaskLookup } from './client.js';
export { ENV } from './config/env.js';
export type { LongEtaConfig, ResolvedLongEtaConfig } from './config/long-eta-config.js';
export type { AppConfig, ResolvedConfig } from './config/resolve-config.js';
export {
  SCHEDULED_TIME_PLACEHOLDER,
  type ScheduleDefinition,
  type ScheduleExpressionDefinition,
} from './config/schedule-definition.js';
export type { PriorityQueue, TaskRoute, TaskRoutes } from './config/task-routes.js';
export * from './errors.js';
export * from './events/index.js';
export { type ErrorFactory, ErrorTable, toExceptionInfo } from './exception-table.js';
export { FlowControl, type TaskLimits } from './flow/flow-control.js';
export type { RateLimitKey } from './flow/limit-key.js';
export { type LimitOverride, type LimitsRecord, parseLimitsRecord } from './flow/limits-record.js';
export { parseRate, type Rate, type RateLimit } from './flow/rate.js';
export { GroupResult } from './group-result.js';
export type { MigrationConfig } from './migration/migration-config.js';
export {
  type Route as MigrationRoute,
  type RoutesRecord,
  Side as MigrationSide,
} from './migration/routes-record.js';
export { ControlClient, type WorkerView } from './monitoring/control-client.js';
export type { PeriodicSendOptions, PeriodicTask, PeriodicTaskSpec } from './periodic.js';
export type { EtaScheduleRequest, EtaScheduleResult, EtaScheduler } from './ports/eta-scheduler.js';
export type { FlowStore } from './ports/flow-store.js';
export type { ControlReply, MonitoringStore, WorkerRecord } from './ports/monitoring-store.js';
export type { TaskIndex, TaskIndexEntry, TaskIndexQuery } from './ports/task-index.js';
export type { CompressionMethod } from './protocol/compression.js';
export { PythonDateTime, PythonFloat } from './protocol/exact-values.js';
export type { ResultMeta } from './protocol/result-meta.js';
export type { SerializerName } from './protocol/serializers.js';
export type { SignatureDict } from './protocol/signature.js';
export { READY_STATES, TaskState } from './protocol/states.js';
export { CalendarDate, Decimal, TimeOfDay, Uuid } from './protocol/type-tags.js';
export type { AnyTask, TaskRegistry } from './registry.js';
export { AsyncResult, type GetOptions, type ResultHandle } from './result.js';
export { createRuntime, type Runtime } from './runtime.js';
export {
  CertificateStore,
  loadSecurityFiles,
  readPrivateKey,
  type SecurityFiles,
  type SecuritySettings,
  SigningCertificate,
} from './security/index.js';
export type { Task, TaskContext, TaskFunction } from './task.js';
export type { TaskOptions } from './task-options.js';
export type { Transport } from './transport.js';

/** The AWS transport for resolved settings; its SDK clients are created once and reused. */
export function createAwsTransport(
  config: ResolvedConfig,
  clients: AwsClients = createAwsClients(config),
): Transport & { readonly clients: AwsClients } {
  return {
    clients,
    broker: new SqsBroker(clients.sqs),
    results: new DynamoDbResultStore(clients.dynamodb, {
      tableName: config.resultTable,
      taskIndex: config.events.taskIndex,
      exact: config.exactValues,
    }),
    ...(config.payloadBucket
      ? {
          payloads: new S3PayloadStore(clients.s3, {
            bucket: config.payloadBucket,
            prefix: config.payloadPrefix,
          }),
        }
      : {}),
    clock: systemClock,
    ...(hasSchedulerRole(config.longEta)
      ? {
          etaScheduler: new EventBridgeEtaScheduler({
            region: config.region,
            endpoint: config.endpoint,
            roleArn: config.longEta.roleArn,
            roleArns: config.longEta.roleArns,
            groupName: config.longEta.groupName,
          }),
        }
      : {}),
    flow: new DynamoDbFlowStore(clients.dynamodb, { tableName: config.resultTable }),
    routes: new DynamoDbRouteStore(clients.dynamodb, { tableName: config.resultTable }),
    ...(config.events.workerRegistry
      ? { monitoring: new DynamoDbMonitoringStore(clients.dynamodb, { tableName: config.resultTable }) }
      : {}),
    ...(config.events.sinks.includes('eventbridge')
      ? {
          eventBus: new EventBridgeEventBus({
            region: config.region,
            endpoint: config.endpoint,
            eventBusName: config.events.eventBusName,
          }),
        }
      : {}),
  };
}

/** Settings for {@link createApp}: the app's settings, and optionally the adapters to run on. */
export interface CreateAppOptions extends AppConfig {
  /** Adapters to use instead of AWS (e.g. `createMemoryTransport()` from `celeriac/testing`). */
  readonly transport?: Transport;
  /** Sender node name for the `origin` header. Default `gen<pid>@<hostname>`, as Celery. */
  readonly origin?: string;
}

/**
 * Creates an app. With no transport it runs on AWS, configured from the options and the environment variables
 * the CDK constructs set (see `ENV`); `AWS_ENDPOINT_URL` points it at an emulator.
 */
export function createApp(options: CreateAppOptions = {}): App {
  const config = resolveConfig(options);
  return new App(
    config,
    options.transport ?? createAwsTransport(config),
    options.origin ? { origin: options.origin } : {},
  );
}
