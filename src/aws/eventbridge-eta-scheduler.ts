/**
 * The ETA-scheduler port on EventBridge Scheduler: one `CreateSchedule` per message, a one-time schedule
 * `at(yyyy-mm-ddThh:mm:ss)` in UTC with no flexible window, deleted by the service after it fires
 * (`ActionAfterCompletion: DELETE`), whose target is the SQS queue with the message body as its `Input` (SQS's
 * templated target sends `Input` as the `MessageBody`, unchanged). The schedule is named after the task id and
 * retry count, so a repeated send finds the name taken (`ConflictException`) and makes nothing new.
 *
 * The SDK client is loaded at the first schedule, so an app that schedules nothing never loads
 * `@aws-sdk/client-scheduler`. Region, endpoint (`AWS_ENDPOINT_URL_SCHEDULER`, `AWS_ENDPOINT_URL`) and timeouts
 * resolve as for the other clients (`clients.ts`).
 */
import { createHash } from 'node:crypto';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { EtaScheduleRequest, EtaScheduleResult, EtaScheduler } from '../ports/eta-scheduler.js';
import { awsErrorName, backendError } from './aws-error.js';
import { type AwsClientOptions, sdkClientConfig } from './clients.js';

/** Options for {@link EventBridgeEtaScheduler}. */
export interface EventBridgeEtaSchedulerOptions extends AwsClientOptions {
  /** The delivery role for queues without one in `roleArns`. */
  readonly roleArn?: string | undefined;
  /** Celery queue name → the delivery role for that queue. */
  readonly roleArns?: Readonly<Record<string, string>>;
  /** Schedule group. Default `default`. */
  readonly groupName?: string;
  /** A client to use instead of building one (tests count its requests this way). */
  readonly client?: SchedulerClient;
}

/** EventBridge Scheduler's rule for schedule names: 1 to 64 of these characters. */
const SCHEDULE_NAME = /^[0-9A-Za-z_.-]{1,64}$/;

/**
 * The schedule name of a task id and retry count: `celeriac-<task id>-r<retries>`, or, for a task id that is
 * too long or has characters a name cannot, `celeriac-h-<sha-256 of the id, 40 hex>-r<retries>`.
 *
 * @example
 * scheduleName('0b0c5b8e-6f4c-4c1e-9a51-5d1f3d0f2f4a', 0) // 'celeriac-0b0c5b8e-6f4c-4c1e-9a51-5d1f3d0f2f4a-r0'
 */
export function scheduleName(taskId: string, retries: number): string {
  const plain = `celeriac-${taskId}-r${retries}`;
  if (SCHEDULE_NAME.test(plain)) return plain;
  const digest = createHash('sha256').update(taskId).digest('hex').slice(0, 40);
  return `celeriac-h-${digest}-r${retries}`;
}

/** `at(...)` of a time, rounded up to the next whole second (never early), in UTC. */
export function atExpression(deliverAt: Date): string {
  const seconds = Math.ceil(deliverAt.getTime() / 1000) * 1000;
  return `at(${new Date(seconds).toISOString().slice(0, 19)})`;
}

/** The partition of a region: `aws-cn` for China, `aws-us-gov` for GovCloud, else `aws`. */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * The ARN of the queue at `queueUrl` (`https://sqs.<region>.amazonaws.com/<account>/<name>`, its FIPS or
 * dual-stack host, or an emulator's
 * `http://host:port/<account>/<name>`). The region comes from the host when it names one, else `region`.
 *
 * @example
 * queueArnOf('https://sqs.eu-west-1.amazonaws.com/123456789012/tasks', 'us-east-1')
 * // 'arn:aws:sqs:eu-west-1:123456789012:tasks'
 */
export function queueArnOf(queueUrl: string, region: string | undefined): string {
  const url = new URL(queueUrl);
  const [account, name] = url.pathname.split('/').filter((part) => part !== '');
  // sqs.<region>.amazonaws.com (.cn in China), its FIPS and dual-stack forms, and the legacy <region>.queue host.
  const hostRegion =
    /^sqs(?:-fips)?[.-]([a-z0-9-]+)\.(?:amazonaws\.com|api\.aws)/.exec(url.hostname)?.[1] ??
    /^([a-z0-9-]+)\.queue\.amazonaws\.com/.exec(url.hostname)?.[1];
  const queueRegion = hostRegion ?? region;
  if (account === undefined || name === undefined || !/^\d{12}$/.test(account) || queueRegion === undefined) {
    throw new TypeError(
      `Cannot tell the ARN of queue ${queueUrl}: expected https://sqs.<region>.amazonaws.com/<account id>/<name> ` +
        '(or an emulator URL with the account id and name, and a configured region)',
    );
  }
  return `arn:${partitionOf(queueRegion)}:sqs:${queueRegion}:${account}:${name}`;
}

/** Schedules deliveries with EventBridge Scheduler. */
export class EventBridgeEtaScheduler implements EtaScheduler {
  readonly #options: EventBridgeEtaSchedulerOptions;
  readonly #groupName: string;
  #loaded: Promise<{ client: SchedulerClient; sdk: typeof import('@aws-sdk/client-scheduler') }> | undefined;

  constructor(options: EventBridgeEtaSchedulerOptions) {
    this.#options = options;
    this.#groupName = options.groupName ?? 'default';
  }

  accepts(queue: string): boolean {
    return this.#roleFor(queue) !== undefined;
  }

  #roleFor(queue: string): string | undefined {
    return this.#options.roleArns?.[queue] ?? this.#options.roleArn;
  }

  async #load() {
    const sdk = await import('@aws-sdk/client-scheduler');
    const client = this.#options.client ?? new sdk.SchedulerClient(sdkClientConfig(this.#options));
    return { client, sdk };
  }

  async schedule(request: EtaScheduleRequest): Promise<EtaScheduleResult> {
    const name = scheduleName(request.taskId, request.retries);
    const operation = `EventBridge Scheduler CreateSchedule(${this.#groupName}/${name})`;
    const roleArn = this.#roleFor(request.queue);
    if (roleArn === undefined) {
      throw backendError(
        operation,
        new Error(`no delivery role for queue '${request.queue}'`),
        'Set `longEta.roleArn` or `longEta.roleArns` (CELERIAC_SCHEDULER_ROLE_ARN[S]).',
      );
    }
    this.#loaded ??= this.#load();
    try {
      const { client, sdk } = await this.#loaded;
      const region = await client.config.region();
      await client.send(
        new sdk.CreateScheduleCommand({
          Name: name,
          GroupName: this.#groupName,
          ScheduleExpression: atExpression(request.deliverAt),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Description: `celeriac task ${request.taskId.slice(0, 400)} (retries ${request.retries})`,
          Target: {
            Arn: queueArnOf(request.queueUrl, region),
            RoleArn: roleArn,
            Input: request.body,
            ...(request.messageGroupId === undefined
              ? {}
              : { SqsParameters: { MessageGroupId: request.messageGroupId } }),
          },
        }),
      );
      return { scheduleName: name, created: true };
    } catch (error) {
      // The name is the task id's: a schedule of that name is this message, sent before.
      if (awsErrorName(error) === 'ConflictException') return { scheduleName: name, created: false };
      throw backendError(operation, error, hintFor(error));
    }
  }
}

function hintFor(error: unknown): string {
  switch (awsErrorName(error)) {
    case 'AccessDeniedException':
      return 'Grant scheduler:CreateSchedule on the group and iam:PassRole on the delivery role (TaskQueue.grantSendTasks does both).';
    case 'ResourceNotFoundException':
      return 'Create the schedule group, or set `longEta.groupName` (CELERIAC_SCHEDULE_GROUP) to one that exists.';
    case 'ServiceQuotaExceededException':
      return 'The account holds as many schedules as its quota allows; ask for a higher quota or raise `longEta.thresholdSeconds`.';
    default:
      return '';
  }
}
