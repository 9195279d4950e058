/**
 * Runs one task function under its time limits and turns whatever it did into a {@link RunResult}.
 *
 * Time limits: at the soft limit the context's `signal` aborts with `SoftTimeLimitExceeded` (a task that
 * watches its signal stops cleanly; one that throws the reason fails with it). At the hard limit the worker
 * stops waiting and records `TimeLimitExceeded`. JavaScript cannot kill a running function, so a task that
 * ignores its signal keeps running in the background until it returns; on Lambda the function timeout is the
 * final bound. A limit longer than a timer can hold (about 24.8 days) waits the longest a timer can instead of
 * overflowing into an immediate expiry.
 *
 * The function receives the positional arguments only; keyword arguments are in its context (`this.kwargs`).
 */
import { Ignore, Reject, Retry, SoftTimeLimitExceeded, TimeLimitExceeded } from '../errors.js';
import type { TaskContext, TaskFunction } from '../task.js';

/** How a run ended. */
export type RunResult =
  | { readonly kind: 'success'; readonly value: unknown }
  | { readonly kind: 'failure'; readonly error: unknown }
  | { readonly kind: 'retry'; readonly retry: Retry }
  | { readonly kind: 'ignore' }
  | { readonly kind: 'reject'; readonly reject: Reject };

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

function classify(error: unknown): RunResult {
  if (error instanceof Retry) return { kind: 'retry', retry: error };
  if (error instanceof Ignore) return { kind: 'ignore' };
  if (error instanceof Reject) return { kind: 'reject', reject: error };
  return { kind: 'failure', error };
}

/** Calls `fn` with `this` = `context` and the positional arguments, enforcing the limits. */
export async function runTask(
  fn: TaskFunction<unknown[], unknown>,
  context: TaskContext,
  abort: AbortController,
  limits: RunLimits,
): Promise<RunResult> {
  const timers: NodeJS.Timeout[] = [];
  const soft = limits.softTimeLimitSeconds;
  if (soft) {
    timers.push(timerAfter(soft, () => abort.abort(SoftTimeLimitExceeded.after(soft))));
  }
  const callArgs = [...context.args];
  const running = (async (): Promise<RunResult> => {
    try {
      return { kind: 'success', value: await fn.apply(context, callArgs) };
    } catch (error) {
      return classify(error);
    }
  })();
  const hard = limits.timeLimitSeconds;
  try {
    if (!hard) return await running;
    const timeout = new Promise<RunResult>((resolve) => {
      timers.push(
        timerAfter(hard, () => {
          const error = TimeLimitExceeded.after(hard);
          if (!abort.signal.aborted) abort.abort(error);
          resolve({ kind: 'failure', error });
        }),
      );
    });
    return await Promise.race([running, timeout]);
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
}
