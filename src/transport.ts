/**
 * The adapters an app runs on. `createApp()` builds the AWS transport from its settings; tests and local
 * tools pass the in-memory one from `celeriac/testing`.
 */
import type { Broker } from './ports/broker.js';
import type { Clock } from './ports/clock.js';
import type { EtaScheduler } from './ports/eta-scheduler.js';
import type { EventBus } from './ports/event-bus.js';
import type { FlowStore } from './ports/flow-store.js';
import type { MonitoringStore } from './ports/monitoring-store.js';
import type { PayloadStore } from './ports/payload-store.js';
import type { ResultStore } from './ports/result-store.js';
import type { RouteStore } from './ports/route-store.js';

/** The ports an app needs, each backed by an adapter. */
export interface Transport {
  readonly broker: Broker;
  readonly results: ResultStore;
  /** Large-payload store; without it, oversize messages and results are refused. */
  readonly payloads?: PayloadStore;
  readonly clock: Clock;
  /** One-time schedules for long countdowns and ETAs (`longEta`); without it every ETA re-delays every 15 minutes. */
  readonly etaScheduler?: EtaScheduler;
  /** Where the `eventbridge` event sink puts events; only needed when that sink is configured. */
  readonly eventBus?: EventBus;
  /** The worker registry and control records, when `events.workerRegistry` is on. */
  readonly monitoring?: MonitoringStore;
  /** Shared state of fleet-wide rate and key limits; without it, limits hold per process. */
  readonly flow?: FlowStore;
  /** The migration routes record and shadow results (`migration`); without it, tasks run where they are received. */
  readonly routes?: RouteStore;
}
