/** A message the long-running worker has received and not yet finished, and what the registry reports of them. */
import type { ReceivedMessage } from '../ports/broker.js';
import type { ActiveTask } from '../ports/monitoring-store.js';
import { clipText } from '../protocol/clip-text.js';
import type { ClaimHandle } from './execution-context.js';
import type { KeepAlive } from './keep-alive.js';
import type { MessageOutcome } from './message-outcome.js';

/** A queue the worker consumes. */
export interface Queue {
  readonly name: string;
  readonly url: string;
  readonly fifo: boolean;
}

/** One received message, from receipt until it is deleted or handed back. */
export interface InFlight {
  readonly queue: Queue;
  readonly message: ReceivedMessage;
  readonly abort: AbortController;
  /** Aborted to stop the run at once (a terminating revoke). */
  readonly kill: AbortController;
  readonly keepAlive: KeepAlive;
  claim?: ClaimHandle;
  claimedAtMs?: number;
  done?: Promise<MessageOutcome | undefined>;
}

/** The longest `args` and `kwargs` repr an active task's entry carries: Celery's own (`saferepr`, 1,024). */
export const MAX_ACTIVE_REPR_CHARS = 1024;

/**
 * The most characters of repr all entries carry together, shared out when many tasks run: even escaped as JSON
 * (six bytes a character at worst) the record stays far inside a DynamoDB item's 400 KB.
 */
export const MAX_ACTIVE_REPR_TOTAL = 32_768;

/** The claimed tasks among the messages in flight, for the registry. */
export function activeTasks(inFlight: Iterable<InFlight>): ActiveTask[] {
  const claimed = [...inFlight].flatMap(({ claim, claimedAtMs, queue, message }) =>
    claim ? [{ claim, claimedAtMs, queue, message }] : [],
  );
  const limit = Math.max(
    16,
    Math.min(MAX_ACTIVE_REPR_CHARS, Math.floor(MAX_ACTIVE_REPR_TOTAL / (2 * Math.max(1, claimed.length)))),
  );
  return claimed.map(({ claim, claimedAtMs, queue, message }) => ({
    id: claim.taskId,
    name: claim.taskName ?? '',
    startedAtMs: claimedAtMs ?? 0,
    args: clipText(claim.argsrepr ?? '', limit),
    kwargs: clipText(claim.kwargsrepr ?? '', limit),
    queue: queue.name,
    redelivered: message.receiveCount > 1,
  }));
}
