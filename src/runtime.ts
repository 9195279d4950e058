/**
 * The runtime: everything a host (the Lambda handler, `celeriac worker`, `celeriac beat`) is handed besides the
 * task registry: the ports, the resolved settings, the clock and the sender's name. Built once per app by
 * {@link createRuntime}; hosts receive it explicitly (`runWorker({ registry, runtime })`) instead of reaching
 * through the app for its parts.
 */
import { CoalescingBroker } from './coalescing-broker.js';
import type { ResolvedConfig } from './config/resolve-config.js';
import { createEventDispatcher } from './events/create-event-dispatcher.js';
import type { EventDispatcher } from './events/event-dispatcher.js';
import { FlowControl } from './flow/flow-control.js';
import { LocalFlowStore } from './flow/local-flow-store.js';
import { LongEtas } from './long-eta.js';
import { MigrationRoutes } from './migration/migration-routes.js';
import { Payloads } from './payloads.js';
import type { Broker } from './ports/broker.js';
import type { Clock } from './ports/clock.js';
import type { FlowStore } from './ports/flow-store.js';
import type { MonitoringStore } from './ports/monitoring-store.js';
import type { ResultStore } from './ports/result-store.js';
import { defaultOrigin } from './producer.js';
import { QueueRouter } from './queue-router.js';
import type { Transport } from './transport.js';

/** The ports, settings and identity a host runs with. */
export interface Runtime {
  readonly settings: ResolvedConfig;
  readonly broker: Broker;
  readonly results: ResultStore;
  /** Offloads and resolves large messages and results (the payload bucket). */
  readonly payloads: Payloads;
  readonly clock: Clock;
  /** Which long countdowns and ETAs become one-time schedules (the transport's `etaScheduler`), and which hop. */
  readonly longEtas: LongEtas;
  /** Celery queue name → SQS queue URL. */
  readonly queues: QueueRouter;
  /** Sender node name written into the `origin` header of the messages this process sends. */
  readonly origin: string;
  /** Monitoring events, when a sink is configured (`events.sinks`); absent, nothing is emitted. */
  readonly events?: EventDispatcher;
  /** The worker registry and remote control, when `events.workerRegistry` is on and the transport has a store. */
  readonly monitoring?: MonitoringStore;
  /**
   * Rate limits, key limits and the limits record (docs/flow-control.md): fleet-wide through the transport's
   * flow store, or per process with `rateLimitScope: 'worker'` or a transport without one.
   */
  readonly flow: FlowControl;
  /** The transport's shared flow store, for hosts that choose their own scope. */
  readonly flowStore?: FlowStore;
  /** The migration routes and shadow results (`migration`), when the app turns it on and the transport has a store. */
  readonly migration?: MigrationRoutes;
}

/**
 * Flow control in a scope: `fleet` through the shared store (a process-local one when there is none), `worker`
 * with a store of this process's own (Celery's per-worker limits).
 */
export function flowControlFor(
  scope: 'fleet' | 'worker',
  settings: ResolvedConfig,
  store: FlowStore | undefined,
  now: () => number,
): FlowControl {
  const shared = scope === 'fleet' ? store : undefined;
  return new FlowControl(shared ?? new LocalFlowStore(), {
    now,
    log: (line) => console.warn(`celeriac: ${line}`),
    batched: shared !== undefined,
    ...(settings.defaultRateLimit ? { defaultRate: settings.defaultRateLimit } : {}),
  });
}

/**
 * Builds the runtime for settings and adapters.
 *
 * @example
 * const runtime = createRuntime(resolveConfig({}), createMemoryTransport());
 */
export function createRuntime(
  settings: ResolvedConfig,
  transport: Transport,
  options: { readonly origin?: string } = {},
): Runtime {
  const origin = options.origin ?? defaultOrigin();
  const events = createEventDispatcher(settings.events, {
    clock: transport.clock,
    sender: { hostname: origin, pid: process.pid },
    eventBus: transport.eventBus,
  });
  const broker =
    settings.coalesceSendsMs > 0
      ? new CoalescingBroker(transport.broker, settings.coalesceSendsMs)
      : transport.broker;
  return {
    settings,
    broker,
    results: transport.results,
    payloads: new Payloads(
      transport.payloads,
      {
        payloadThresholdBytes: settings.payloadThresholdBytes,
        resultThresholdBytes: settings.resultThresholdBytes,
        maxPayloadBytes: settings.maxPayloadBytes,
      },
      { exact: settings.exactValues },
    ),
    clock: transport.clock,
    longEtas: new LongEtas({
      scheduler: transport.etaScheduler,
      thresholdSeconds: settings.longEta.thresholdSeconds,
    }),
    queues: new QueueRouter(broker, settings.queueNamePrefix, settings.queueUrls),
    origin,
    ...(events ? { events } : {}),
    ...(settings.events.workerRegistry && transport.monitoring ? { monitoring: transport.monitoring } : {}),
    flow: flowControlFor(settings.rateLimitScope, settings, transport.flow, () => transport.clock.now()),
    ...(transport.flow ? { flowStore: transport.flow } : {}),
    ...(settings.migration.enabled && transport.routes
      ? {
          migration: new MigrationRoutes(transport.routes, settings.migration, {
            now: () => transport.clock.now(),
            log: (line) => console.warn(`celeriac: ${line}`),
          }),
        }
      : {}),
  };
}

/** The `ttlSeconds` option of a result write under these settings: none when no result TTL is configured. */
export function resultTtl(settings: Pick<ResolvedConfig, 'resultTtlSeconds'>): { ttlSeconds?: number } {
  return settings.resultTtlSeconds === undefined ? {} : { ttlSeconds: settings.resultTtlSeconds };
}
