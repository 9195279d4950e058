/** The options of `runWorker` and the handle it returns (`run-worker.ts` says how the options interact). */
import type { MessageOutcome } from './message-outcome.js';
import type { Pool, PoolKind } from './pool/pool.js';
import type { QueueSpec } from './queue-weights.js';
import type { WorkerIdentity } from './worker-identity.js';

/** Options for `runWorker`. */
export interface WorkerOptions {
  /**
   * Celery queues to consume, the most urgent first, each a name or `{ name, weight }`
   * (`queue-weights.ts`): while every queue has messages, each receives a share of the messages in proportion
   * to its weight, and a queue with none lends its share to the others. A queue without a weight gets its position's
   * (`n` for the first of `n`, down to 1). Default: the app's default queue.
   */
  readonly queues?: readonly QueueSpec[];
  /** Tasks run at once, across all queues. Default 8. */
  readonly concurrency?: number;
  /**
   * Messages received ahead of a free slot, across all queues (standard queues only), so each receive brings a
   * full batch of 10. A prefetched message waits for at most this many others to start before it; its visibility
   * is kept alive meanwhile, and `stop()` hands it back at once. 0 receives only into free slots (for long tasks,
   * so another worker can take what this one cannot start yet). Default 10.
   */
  readonly prefetch?: number;
  /** How long received messages stay invisible; extended while their task runs. Default 60 s. */
  readonly visibilityTimeoutSeconds?: number;
  /** Long-poll wait. Default 20 s (SQS's maximum). */
  readonly waitTimeSeconds?: number;
  /** How long `stop()` waits for running tasks before handing them back. Default 30 000 ms. */
  readonly shutdownTimeoutMs?: number;
  /**
   * Where the per-task lines go. Default `console.log`, or JSON lines on stdout with `events.logFormat: 'json'`
   * (docs/monitoring.md).
   */
  readonly log?: (line: string) => void;
  /** Called with each outcome (for tests and metrics). */
  readonly onOutcome?: (outcome: MessageOutcome) => void;
  /**
   * Where task functions run: `inline` (default), `threads` or `processes` (`concurrency` of them, each loading
   * `appModule` itself), or a {@link Pool} built by the caller. See docs/workers.md.
   */
  readonly pool?: PoolKind | Pool;
  /** The app module sandboxes load (the CLI's `--app`); required for `threads` and `processes`. */
  readonly appModule?: string;
  /** Replace a thread or process after this many tasks (Celery's `--max-tasks-per-child`). */
  readonly maxTasksPerChild?: number;
  /** Replace a thread or process whose memory after a task passes this many KiB (`--max-memory-per-child`). */
  readonly maxMemoryPerChildKiB?: number;
  /**
   * When a thread or process dies while running a task, leave the message for redelivery instead of storing
   * FAILURE `WorkerLostError` (Celery's `reject_on_worker_lost` with `acks_late`).
   */
  readonly rejectOnWorkerLost?: boolean;
  /**
   * Autoscaling (`--autoscale max,min`, with `concurrency` as the max): keep only this many threads or processes
   * when idle, start more as work arrives, and retire those idle for `poolIdleMs` (default 30 s).
   */
  readonly minPoolSize?: number;
  readonly poolIdleMs?: number;
  /**
   * Where rate and key limits hold: `fleet` (the runtime's, through the results table) or `worker` (this
   * process only, as in Celery). Default: the app's `rateLimitScope`.
   */
  readonly rateLimitScope?: 'fleet' | 'worker';
}

/** A worker that is running. */
export interface RunningWorker {
  readonly identity: WorkerIdentity;
  /** Stops receiving, lets running tasks finish (or hands them back), flushes deletes. */
  stop(): Promise<void>;
  /** Settles when the worker has stopped; rejects when it could not start (a queue that does not exist). */
  readonly stopped: Promise<void>;
  /** Messages processed so far, by final state. */
  readonly counts: Readonly<Record<string, number>>;
}
