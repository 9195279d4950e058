/**
 * Where a task function runs. The worker core decides everything about a task (its claim, its limits, its
 * outcome); a pool only calls the function, inline or in a sandbox (a worker thread or a child process), and
 * reports how the call ended.
 */
import type { TaskContext, TaskFunction } from '../../task.js';
import type { RunResult } from './run-result.js';

/** The pools `celeriac worker --pool` offers. */
export const PoolKind = {
  /** In the worker's own event loop: cheapest, for I/O-bound tasks; cannot stop a running function. */
  INLINE: 'inline',
  /** In `worker_threads`: one task per thread, terminated at the hard limit. */
  THREADS: 'threads',
  /** In child processes (`child_process.fork`): one task per process, killed at the hard limit. */
  PROCESSES: 'processes',
} as const;
export type PoolKind = (typeof PoolKind)[keyof typeof PoolKind];

/** An error class a task retries on (`autoretryFor`). */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** One call of a task function. */
export interface PoolJob {
  /** The registered name; a sandbox looks the function up by it in its own copy of the app. */
  readonly taskName: string;
  /** The function, for the inline pool. */
  readonly fn: TaskFunction<unknown[], unknown>;
  /** The function's `this`; its `signal` is the run's (soft limit, shutdown, lost claim). */
  readonly context: TaskContext;
  /**
   * Aborted when the run must end now (the hard time limit, a terminating revoke): a sandbox is terminated and
   * the run settles with the abort's reason as its failure. The inline pool cannot stop the function.
   */
  readonly kill: AbortSignal;
  /** The task's `autoretryFor` classes, so an error that crossed a boundary still matches them. */
  readonly autoretryFor?: readonly ErrorClass[];
}

/** Runs task functions. */
export interface Pool {
  readonly kind: PoolKind;
  /** How many calls may run at once; the worker's concurrency. */
  readonly size: number;
  /** Gets the pool ready (a sandboxed pool starts its first sandbox, so an app that cannot load fails here). */
  start(): Promise<void>;
  /** Calls the task function; never rejects: every ending is a {@link RunResult}. */
  run(job: PoolJob): Promise<RunResult>;
  /** Ends every sandbox; calls still running end as lost. */
  close(): Promise<void>;
}
