/**
 * In-memory adapters: real implementations of every port, for unit tests, eager runs and local tools.
 * Exported as `celeriac/testing`.
 *
 * @example
 * const transport = createMemoryTransport();
 * const app = createApp({ transport });
 */
import { type Clock, systemClock } from '../ports/clock.js';
import { MemoryBroker } from './memory-broker.js';
import { MemoryFlowStore } from './memory-flow-store.js';
import { MemoryPayloadStore } from './memory-payload-store.js';
import { MemoryResultStore } from './memory-result-store.js';

export { MemoryBroker, type MemoryQueueOptions } from './memory-broker.js';
export { MemoryEtaScheduler } from './memory-eta-scheduler.js';
export { MemoryFlowStore } from './memory-flow-store.js';
export { MemoryMonitoringStore } from './memory-monitoring-store.js';
export { MemoryPayloadStore } from './memory-payload-store.js';
export { MemoryResultStore, type MemoryResultStoreOptions } from './memory-result-store.js';

/** A transport whose every adapter lives in memory. */
export interface MemoryTransport {
  readonly broker: MemoryBroker;
  readonly results: MemoryResultStore;
  readonly payloads: MemoryPayloadStore;
  readonly clock: Clock;
  readonly flow: MemoryFlowStore;
}

/**
 * Creates an in-memory transport sharing one clock.
 *
 * @param options.exactValues read results exactly; pass the app's `exactValues` (a transport is built before
 *   the app, so it cannot read the app's setting). Default false.
 */
export function createMemoryTransport(
  clock: Clock = systemClock,
  options: { readonly exactValues?: boolean } = {},
): MemoryTransport {
  const now = (): number => clock.now();
  return {
    broker: new MemoryBroker(now),
    results: new MemoryResultStore(now, { exact: options.exactValues ?? false }),
    payloads: new MemoryPayloadStore(),
    clock,
    flow: new MemoryFlowStore(),
  };
}
