/**
 * What the execution core decided for one message, for the host (Lambda handler or `celeriac worker`) to carry
 * out on SQS, and to log.
 */
import type { MessageAttribute } from '../ports/broker.js';
import { TaskState } from '../protocol/states.js';

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
  /** When SQS received the message, epoch ms, when known. */
  readonly sentTimestampMs?: number;
}

/** What to do with the message. */
export const MessageAction = {
  /** Delete it: the task finished, was refused for good, or was re-sent. */
  DELETE: 'delete',
  /** Leave it, invisible for `delaySeconds`, then deliver it again (busy claim, FIFO ETA, transient error). */
  RETRY_LATER: 'retry-later',
  /** Leave it: SQS redelivers it until `maxReceiveCount` moves it to the dead-letter queue. */
  REJECT: 'reject',
} as const;
export type MessageAction = (typeof MessageAction)[keyof typeof MessageAction];

/**
 * The state a message ended in: the task's Celery state when it ran or was refused for good (SUCCESS, FAILURE,
 * RETRY, REVOKED, IGNORED, REJECTED), or what happened to the message when it did not run.
 */
export const MessageState = {
  SUCCESS: TaskState.SUCCESS,
  FAILURE: TaskState.FAILURE,
  RETRY: TaskState.RETRY,
  REVOKED: TaskState.REVOKED,
  IGNORED: TaskState.IGNORED,
  REJECTED: TaskState.REJECTED,
  /** The task already ran (or was retried since): this delivery is a duplicate and is dropped. */
  DUPLICATE: 'DUPLICATE',
  /** Another delivery holds a live claim on the task: try again after its lease. */
  BUSY: 'BUSY',
  /** Over a rate limit or a key's concurrency: kept invisible, or sent again, until it may run. */
  THROTTLED: 'THROTTLED',
  /** The ETA is ahead: re-sent with a delay, or kept invisible (FIFO). */
  DELAYED: 'DELAYED',
  /** The message cannot be decoded or is not a valid task message: left for the dead-letter queue. */
  INVALID: 'INVALID',
  /** The worker is stopping: the task goes back to the queue for another worker. */
  HANDED_BACK: 'HANDED_BACK',
  /** A migration routes the task name to the other side: re-sent to its queue, or left for its workers. */
  HANDED_OVER: 'HANDED_OVER',
  /** A shadow copy (migration shadow mode): run beside the real task, its result kept apart and compared. */
  SHADOW: 'SHADOW',
  /** An offloaded message could not be fetched for a reason that may pass: delivered again later. */
  UNRESOLVED: 'UNRESOLVED',
  /** The claim could not be written for a reason that may pass: delivered again later. */
  UNCLAIMED: 'UNCLAIMED',
  /** The outcome could not be stored for a reason that may pass: delivered again later. */
  UNRECORDED: 'UNRECORDED',
  /** Processing failed unexpectedly (a bug): delivered again later. */
  ERROR: 'ERROR',
} as const;
export type MessageState = (typeof MessageState)[keyof typeof MessageState];

/** The core's decision, with what the log line needs. */
export interface MessageOutcome {
  readonly action: MessageAction;
  /** For `retry-later`: seconds until the message should be visible again. */
  readonly delaySeconds?: number;
  /** The task id, when the message got far enough to name one. */
  readonly taskId?: string;
  readonly taskName?: string;
  readonly state: MessageState;
  /** Why, for anything but a plain run. */
  readonly reason?: string;
  /** Time spent running the task itself, when it ran. */
  readonly runtimeMs?: number;
}
