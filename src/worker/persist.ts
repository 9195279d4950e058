/**
 * Retries a write to a backing service in place while the failure may pass, so a throttled or briefly
 * unreachable DynamoDB does not make a task that already ran run again. Each pause doubles (with full jitter)
 * from 100 ms up to 2 s, until the deadline; the SDK's own retries (with their jittered backoff) happen inside
 * each attempt. A permanent failure, or the deadline, throws the last error.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isTransient } from './execution-context.js';

/** Options for {@link persist}. */
export interface PersistOptions {
  /** Give up after this time, epoch ms (before the claim's lease can lapse). */
  readonly deadlineMs: number;
  readonly now: () => number;
  /** Called before each pause with the error that caused it. */
  readonly onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Runs `write` until it succeeds, fails for good, or the deadline passes.
 *
 * @example
 * await persist(() => results.complete(request), { deadlineMs: Date.now() + 10_000, now: Date.now });
 */
export async function persist<T>(write: () => Promise<T>, options: PersistOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const pauseMs = Math.random() * Math.min(2000, 100 * 2 ** (attempt - 1));
      if (!isTransient(error) || options.now() + pauseMs >= options.deadlineMs) throw error;
      options.onRetry?.(error, attempt);
      await sleep(pauseMs);
    }
  }
}
