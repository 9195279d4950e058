/**
 * Claiming a task id before running it, and what each refusal means for the message:
 * - finished: a duplicate of a task that already ran; the chord step is repeated (in case it was cut short),
 *   then the message is dropped;
 * - stale: a duplicate of an attempt that was since retried; dropped;
 * - busy: another delivery holds a live lease; looked at again when that lease ends (or shortly, when the holder
 *   is the attempt that sent this retry and is still recording it).
 */

import type { ClaimOutcome } from '../ports/result-store.js';
import { SQS_MAX_DELAY_SECONDS } from '../ports/service-limits.js';
import type { ResultMeta } from '../protocol/result-meta.js';
import type { TaskMessage } from '../protocol/task-message.js';
import { chordStepOf } from './admit-message.js';
import {
  describeError,
  type MessageScope,
  retryLater,
  TRANSIENT_RETRY_SECONDS,
} from './execution-context.js';
import { MessageAction, type MessageOutcome, MessageState } from './message-outcome.js';

/** What the claim writes besides the lease. */
export interface ClaimOptions {
  /** STARTED, for tasks that track it. */
  readonly runningMeta?: ResultMeta;
  readonly ttl: { readonly ttlSeconds?: number };
}

/** Claims the message's task id for this delivery: `claimed`, or the outcome of a refusal. */
export async function claimTask(
  scope: MessageScope,
  message: TaskMessage,
  options: ClaimOptions,
): Promise<'claimed' | MessageOutcome> {
  const { headers } = message;
  const base = { taskId: headers.id, taskName: headers.task };
  let outcome: ClaimOutcome;
  try {
    outcome = await scope.runtime.results.claim({
      taskId: headers.id,
      owner: scope.owner,
      attempt: headers.retries,
      taskName: headers.task,
      leaseMs: scope.ctx.leaseMs,
      nowMs: scope.now(),
      ...(options.runningMeta ? { runningMeta: options.runningMeta } : {}),
      ...options.ttl,
    });
  } catch (error) {
    return retryLater(base, MessageState.UNCLAIMED, `claim failed: ${describeError(error)}`);
  }
  switch (outcome.kind) {
    case 'claimed':
      return 'claimed';
    case 'finished': {
      const failed = await chordStepOf(scope, message, true);
      if (failed) return retryLater(base, MessageState.DUPLICATE, `chord step failed: ${failed.message}`);
      return {
        ...base,
        action: MessageAction.DELETE,
        state: MessageState.DUPLICATE,
        reason: `already ${outcome.state}`,
      };
    }
    case 'stale':
      return {
        ...base,
        action: MessageAction.DELETE,
        state: MessageState.DUPLICATE,
        reason: `attempt ${headers.retries} was already retried (now at ${outcome.recordedAttempt})`,
      };
    case 'busy': {
      const handingOver = outcome.heldByAttempt !== undefined && outcome.heldByAttempt < headers.retries;
      const leftSeconds = Math.ceil((outcome.leaseExpiresAtMs - scope.now()) / 1000);
      const seconds = handingOver ? Math.min(leftSeconds, TRANSIENT_RETRY_SECONDS) : leftSeconds;
      return {
        ...base,
        action: MessageAction.RETRY_LATER,
        delaySeconds: Math.min(Math.max(seconds, 1), SQS_MAX_DELAY_SECONDS),
        state: MessageState.BUSY,
        reason: 'another delivery is running it',
      };
    }
  }
}
