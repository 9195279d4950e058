/**
 * What the execution core decided for one message, for the host (Lambda handler or `celeriac worker`) to carry
 * out on SQS, and to log.
 */
import type { MessageAttribute } from '../ports/broker.js';

/** A received message, whichever host received it. */
export interface InboundMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  /** The SQS `MessageBody`. */
  readonly body: string;
  /** How many times SQS delivered it, this time included. */
  readonly receiveCount: number;
  /** The queue it came from, for re-delays and retries. */
  readonly queueUrl: string;
  readonly attributes: Readonly<Record<string, MessageAttribute>>;
  readonly messageGroupId?: string;
}

/** What to do with the message. */
export type MessageAction =
  /** Delete it: the task finished, was refused for good, or was re-sent. */
  | 'delete'
  /** Leave it, invisible for `delaySeconds`, then deliver it again (busy claim, FIFO ETA, transient error). */
  | 'retry-later'
  /** Leave it: SQS redelivers it until `maxReceiveCount` moves it to the dead-letter queue. */
  | 'reject';

/** The core's decision, with what the log line needs. */
export interface MessageOutcome {
  readonly action: MessageAction;
  /** For `retry-later`: seconds until the message should be visible again. */
  readonly delaySeconds?: number;
  /** The task id, when the message got far enough to name one. */
  readonly taskId?: string;
  readonly taskName?: string;
  /** The state the task ended in (SUCCESS, FAILURE, RETRY, REVOKED, ...), or what happened to the message. */
  readonly state: string;
  /** Why, for anything but a plain run. */
  readonly reason?: string;
  /** Time spent running the task itself, when it ran. */
  readonly runtimeMs?: number;
}
