/**
 * Runs one task function under its time limits and turns whatever it did into a {@link RunResult}.
 *
 * Time limits: at the soft limit the context's `signal` aborts with `SoftTimeLimitExceeded` (a task that
 * watches its signal stops cleanly; one that throws the reason fails with it). At the hard limit the run ends
 * with `TimeLimitExceeded`: the pool is told to stop the call, which terminates its worker thread or child
 * process (`--pool threads|processes`). The inline pool cannot stop a function running in the worker's own event
 * loop: the worker stops waiting, and the function runs on in the background until it returns (on Lambda, the
 * function timeout is the final bound). A limit longer than a timer can hold (about 24.8 days) waits the longest
 * a timer can instead of overflowing into an immediate expiry.
 *
 * The function receives the positional arguments only; keyword arguments are in its context (`this.kwargs`).
 */
import { SoftTimeLimitExceeded, TimeLimitExceeded } from '../errors.js';
import type { TaskContext, TaskFunction } from '../task.js';
import { InlinePool } from './pool/inline-pool.js';
import type { ErrorClass, Pool } from './pool/pool.js';
import type { RunResult } from './pool/run-result.js';

export type { RunResult } from './pool/run-result.js';

/** The longest delay `setTimeout` holds (2^31 - 1 ms); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A timer for `seconds`, capped at the longest delay a timer can hold. */
function timerAfter(seconds: number, callback: () => void): NodeJS.Timeout {
  return setTimeout(callback, Math.min(seconds * 1000, MAX_TIMER_MS));
}

/** Limits for one run, in seconds; absent means none. */
export interface RunLimits {
  readonly softTimeLimitSeconds?: number | null;
  readonly timeLimitSeconds?: number | null;
}

/** Where and how the function is called. */
export interface RunPlacement {
  /** The pool that calls the function. Default: inline. */
  readonly pool?: Pool;
  /** The task's `autoretryFor` classes (a sandboxed error is rebuilt as one when it was one). */
  readonly autoretryFor?: readonly ErrorClass[];
  /** Aborted to end the run now (a terminating revoke): the run fails with the reason. */
  readonly kill?: AbortSignal;
}

const INLINE = new InlinePool();

/**
 * The most positional arguments a task function is called with. A JavaScript call passes its arguments on the
 * stack, and far past this (about 120,000 on Node's default stack) `fn.apply` throws `RangeError: Maximum call
 * stack size exceeded`, which says nothing of the cause. Python takes a call of any length; a task that needs
 * more takes them as one list.
 */
export const MAX_CALL_ARGS = 65_535;

/** The error a call with too many positional arguments fails with (Python's kind for a call it cannot make). */
export function tooManyArgs(name: string, count: number): TypeError {
  return new TypeError(
    `${name} was sent ${count} positional arguments; a JavaScript function is called with at most ` +
      `${MAX_CALL_ARGS}: send them as one list argument instead`,
  );
}

/** Calls `fn` with `this` = `context` and the positional arguments, enforcing the limits. */
export async function runTask(
  fn: TaskFunction<unknown[], unknown>,
  context: TaskContext,
  abort: AbortController,
  limits: RunLimits,
  placement: RunPlacement = {},
): Promise<RunResult> {
  const timers: NodeJS.Timeout[] = [];
  const soft = limits.softTimeLimitSeconds;
  if (soft) {
    timers.push(timerAfter(soft, () => abort.abort(SoftTimeLimitExceeded.after(soft))));
  }
  const kill = new AbortController();
  const stop = (error: unknown): RunResult => {
    if (!abort.signal.aborted) abort.abort(error);
    if (!kill.signal.aborted) kill.abort(error);
    return { kind: 'failure', error };
  };
  if (context.args.length > MAX_CALL_ARGS)
    return { kind: 'failure', error: tooManyArgs(context.name, context.args.length) };
  const pool = placement.pool ?? INLINE;
  const running = pool.run({
    taskName: context.name,
    fn,
    context,
    kill: kill.signal,
    ...(placement.autoretryFor ? { autoretryFor: placement.autoretryFor } : {}),
  });
  const endings: Promise<RunResult>[] = [running];
  const hard = limits.timeLimitSeconds;
  if (hard) {
    endings.push(
      new Promise<RunResult>((resolve) => {
        timers.push(timerAfter(hard, () => resolve(stop(TimeLimitExceeded.after(hard)))));
      }),
    );
  }
  const outside = placement.kill;
  let onKill: (() => void) | undefined;
  if (outside) {
    endings.push(
      new Promise<RunResult>((resolve) => {
        onKill = () => resolve(stop(outside.reason));
        if (outside.aborted) onKill();
        else outside.addEventListener('abort', onKill, { once: true });
      }),
    );
  }
  try {
    return await Promise.race(endings);
  } finally {
    for (const timer of timers) clearTimeout(timer);
    if (outside && onKill) outside.removeEventListener('abort', onKill);
  }
}
