/** How one call of a task function ended, whatever pool ran it. */
import { Ignore, Reject, Retry } from '../../errors.js';

/** How a run ended. */
export type RunResult =
  | { readonly kind: 'success'; readonly value: unknown }
  | { readonly kind: 'failure'; readonly error: unknown }
  | { readonly kind: 'retry'; readonly retry: Retry }
  | { readonly kind: 'ignore' }
  | { readonly kind: 'reject'; readonly reject: Reject };

/** What a thrown value means: a retry, an ignore, a reject, or a failure. */
export function classifyRunError(error: unknown): RunResult {
  if (error instanceof Retry) return { kind: 'retry', retry: error };
  if (error instanceof Ignore) return { kind: 'ignore' };
  if (error instanceof Reject) return { kind: 'reject', reject: error };
  return { kind: 'failure', error };
}
