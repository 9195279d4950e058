/** One screen of the system's state: the queues with their dead-letter queues, and the online workers. */
import type { OpsContext } from './ops-context.js';
import { type QueueStatus, queueStatus } from './queues.js';

/** An online worker, as its latest heartbeat record says. */
export interface WorkerStatus {
  readonly hostname: string;
  readonly kind: 'worker' | 'lambda';
  readonly queues: readonly string[];
  readonly active: number;
  readonly processed: number;
  /** Seconds since its last heartbeat. */
  readonly heartbeatAgeSeconds: number;
}

/** What `celeriac status` shows. */
export interface StatusSnapshot {
  readonly queues: readonly QueueStatus[];
  /** Online workers, or `null` when the worker registry is off. */
  readonly workers: readonly WorkerStatus[] | null;
}

/** Reads the queues named (default: the app's known queues) and the worker registry. */
export async function statusSnapshot(ctx: OpsContext, queues?: readonly string[]): Promise<StatusSnapshot> {
  const [queueList, workers] = await Promise.all([
    queueStatus(ctx, queues),
    ctx.control ? ctx.control.onlineWorkers() : Promise.resolve(null),
  ]);
  const now = ctx.app.runtime.clock.now();
  return {
    queues: queueList,
    workers:
      workers?.map((worker) => ({
        hostname: worker.hostname,
        kind: worker.kind,
        queues: worker.queues,
        active: worker.active.length,
        processed: Object.values(worker.processed).reduce((a, b) => a + b, 0),
        heartbeatAgeSeconds: Math.max(0, Math.round((now - worker.heartbeatAtMs) / 1000)),
      })) ?? null,
  };
}
