/**
 * The broker port: the queue operations the client and the worker need, in SQS's terms (queues are addressed by
 * URL). `src/aws/sqs-broker.ts` implements it on SQS, `src/memory/memory-broker.ts` in memory.
 *
 * @remarks Deliberately absent: queue creation and deletion (infrastructure's job), purging, and anything
 * FIFO-group-specific beyond the ids a send carries.
 */

/** A message attribute, as SQS models them. */
export interface MessageAttribute {
  readonly dataType: 'String' | 'Number' | 'Binary';
  readonly stringValue?: string;
  readonly binaryValue?: Uint8Array;
}

/** A message to send. */
export interface OutgoingMessage {
  /** The SQS `MessageBody` (for Celery messages, base64 of the kombu envelope). */
  readonly body: string;
  /** 0–900 s before the message becomes visible; standard queues only. */
  readonly delaySeconds?: number;
  /** FIFO message group. */
  readonly messageGroupId?: string;
  /** FIFO deduplication id. */
  readonly messageDeduplicationId?: string;
  /** Message attributes (for example `ExtendedPayloadSize` on an S3 pointer). */
  readonly attributes?: Readonly<Record<string, MessageAttribute>>;
}

/** A message received from a queue. */
export interface ReceivedMessage {
  readonly messageId: string;
  /** Handle for delete and visibility changes; valid for this receipt only. */
  readonly receiptHandle: string;
  readonly body: string;
  /** How many times SQS has delivered the message, this delivery included. */
  readonly receiveCount: number;
  /** When the message was first sent, epoch ms, if known. */
  readonly sentTimestampMs?: number;
  /** FIFO message group, if any. */
  readonly messageGroupId?: string;
  readonly attributes: Readonly<Record<string, MessageAttribute>>;
}

/** Options for {@link Broker.receive}. */
export interface ReceiveOptions {
  /** 1–10. */
  readonly maxMessages: number;
  /** Long-poll wait, 0–20 s. */
  readonly waitTimeSeconds: number;
  /** Visibility timeout for these receipts; the queue's default when absent. */
  readonly visibilityTimeoutSeconds?: number;
  /** Aborts a long poll, for shutdown. */
  readonly signal?: AbortSignal;
}

/** A per-entry failure from a batch operation. */
export interface BatchEntryFailure {
  /** Index of the entry in the request. */
  readonly index: number;
  readonly code: string;
  readonly message: string;
}

/** The queue operations celeriac needs. */
export interface Broker {
  /** The URL of the queue with this SQS name. */
  queueUrl(sqsQueueName: string): Promise<string>;
  /**
   * Sends messages, in as few requests as SQS allows (batches of up to 10, within the batch size limit).
   * Resolves with the SQS message ids in input order; rejects if any message could not be sent.
   */
  send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<string[]>;
  /** Receives up to `maxMessages` messages, long-polling up to `waitTimeSeconds`. */
  receive(queueUrl: string, options: ReceiveOptions): Promise<ReceivedMessage[]>;
  /** Deletes received messages; returns the entries that failed. */
  delete(queueUrl: string, receiptHandles: readonly string[]): Promise<BatchEntryFailure[]>;
  /** Sets how long received messages stay invisible, from now; returns the entries that failed. */
  changeVisibility(
    queueUrl: string,
    entries: readonly { readonly receiptHandle: string; readonly visibilityTimeoutSeconds: number }[],
  ): Promise<BatchEntryFailure[]>;
}
