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

/**
 * The longest `args` and `kwargs` repr an active task's entry carries: Celery's own (`saferepr`, 1,024), so a
 * record with a hundred tasks running stays well inside a DynamoDB item's 400 KB.
 */
export const MAX_ACTIVE_REPR_CHARS = 1024;

/** The claimed tasks among the messages in flight, for the registry. */
export function activeTasks(inFlight: Iterable<InFlight>): ActiveTask[] {
  return [...inFlight].flatMap(({ claim, claimedAtMs, queue, message }) =>
    claim
      ? [
          {
            id: claim.taskId,
            name: claim.taskName ?? '',
            startedAtMs: claimedAtMs ?? 0,
            args: clipText(claim.argsrepr ?? '', MAX_ACTIVE_REPR_CHARS),
            kwargs: clipText(claim.kwargsrepr ?? '', MAX_ACTIVE_REPR_CHARS),
            queue: queue.name,
            redelivered: message.receiveCount > 1,
          },
        ]
      : [],
  );
}
