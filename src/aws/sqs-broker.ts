/**
 * The broker on SQS. Sends go out in as few requests as SQS allows: one `SendMessage` for a single message,
 * otherwise `SendMessageBatch` requests of up to 10 entries whose total stays under SQS's 1 MiB request limit,
 * several in flight at once on a standard queue and one after another on a FIFO queue (which keeps send order).
 * Failed batch entries are retried once before the send is reported as failed, naming each entry and its
 * error.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { BackendError } from '../errors.js';
import type {
  BatchEntryFailure,
  Broker,
  OutgoingMessage,
  ReceivedMessage,
  ReceiveOptions,
} from '../ports/broker.js';
import { messageSize } from '../ports/message-size.js';
import { SQS_MAX_BATCH_ENTRIES, SQS_MAX_MESSAGE_BYTES } from '../ports/service-limits.js';
import { awsErrorName, backendError } from './aws-error.js';
import { isRetryableAwsError } from './classify-aws-error.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './clients.js';
import { fromSqsAttributes, toSqsAttributes } from './sqs-attributes.js';

/** Splits messages into batches of at most 10 entries and 1 MiB. */
export function planBatches(messages: readonly OutgoingMessage[]): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  messages.forEach((message, index) => {
    const size = messageSize(message);
    if (
      current.length > 0 &&
      (current.length === SQS_MAX_BATCH_ENTRIES || bytes + size > SQS_MAX_MESSAGE_BYTES)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  });
  if (current.length > 0) batches.push(current);
  return batches;
}

function toEntry(message: OutgoingMessage, id: string): SendMessageBatchRequestEntry {
  return { Id: id, ...sendFields(message) };
}

/** The fields a single send and a batch entry share. */
function sendFields(message: OutgoingMessage): Omit<SendMessageBatchRequestEntry, 'Id'> {
  const attributes = toSqsAttributes(message.attributes);
  return {
    MessageBody: message.body,
    ...(message.delaySeconds === undefined ? {} : { DelaySeconds: message.delaySeconds }),
    ...(message.messageGroupId === undefined ? {} : { MessageGroupId: message.messageGroupId }),
    ...(message.messageDeduplicationId === undefined
      ? {}
      : { MessageDeduplicationId: message.messageDeduplicationId }),
    ...(attributes ? { MessageAttributes: attributes } : {}),
  };
}

/** Options for {@link SqsBroker}. */
export interface SqsBrokerOptions {
  /**
   * The request timeout the client was created with (`createAwsClients`' `requestTimeoutMs`). A long poll's
   * request gets its wait on top of it, so a 20 s poll is never cut short. Default
   * {@link DEFAULT_REQUEST_TIMEOUT_MS}.
   */
  readonly requestTimeoutMs?: number;
}

/** How many `SendMessageBatch` requests one send to a standard queue keeps in flight at once. */
export const MAX_BATCHES_IN_FLIGHT = 4;

/** {@link Broker} on Amazon SQS. */
export class SqsBroker implements Broker {
  readonly #sqs: SQSClient;
  readonly #requestTimeoutMs: number;

  constructor(sqs: SQSClient, options: SqsBrokerOptions = {}) {
    this.#sqs = sqs;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  async queueUrl(sqsQueueName: string): Promise<string> {
    try {
      const { QueueUrl } = await this.#sqs.send(new GetQueueUrlCommand({ QueueName: sqsQueueName }));
      if (!QueueUrl) throw new Error('GetQueueUrl returned no URL');
      return QueueUrl;
    } catch (error) {
      const name = awsErrorName(error);
      const missing = name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue';
      throw backendError(
        `SQS GetQueueUrl(${sqsQueueName})`,
        error,
        missing
          ? `No queue named ${JSON.stringify(sqsQueueName)} exists: deploy it (the TaskQueue construct), or map the Celery queue name to a URL with \`queueUrls\` / CELERIAC_QUEUE_URLS`
          : '',
      );
    }
  }

  async send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<string[]> {
    if (messages.length === 0) return [];
    const [only] = messages;
    if (messages.length === 1 && only) {
      try {
        const { MessageId } = await this.#sqs.send(
          new SendMessageCommand({ QueueUrl: queueUrl, ...sendFields(only) }),
        );
        return [MessageId ?? ''];
      } catch (error) {
        throw backendError(`SQS SendMessage(${queueUrl})`, error);
      }
    }
    const ids: string[] = new Array(messages.length).fill('');
    const batches = planBatches(messages);
    // A FIFO queue keeps the order its sends arrive in, so its batches go one after another; a standard queue
    // keeps none, so up to MAX_BATCHES_IN_FLIGHT of its batches are sent at once.
    const lanes = queueUrl.endsWith('.fifo') ? 1 : MAX_BATCHES_IN_FLIGHT;
    let next = 0;
    const sendNext = async (): Promise<void> => {
      for (let batch = batches[next++]; batch; batch = batches[next++]) {
        await this.#sendBatch(queueUrl, messages, batch, ids);
      }
    };
    await Promise.all(Array.from({ length: Math.min(lanes, batches.length) }, sendNext));
    return ids;
  }

  /** Sends one planned batch, retrying its retryable failed entries once; fills in their message ids. */
  async #sendBatch(
    queueUrl: string,
    messages: readonly OutgoingMessage[],
    batch: readonly number[],
    ids: string[],
  ): Promise<void> {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const entries = pending.map((index) => toEntry(messages[index] as OutgoingMessage, String(index)));
      let response: SendMessageBatchCommandOutput;
      try {
        response = await this.#sqs.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }),
        );
      } catch (error) {
        throw backendError(`SQS SendMessageBatch(${queueUrl})`, error);
      }
      for (const ok of response.Successful ?? []) ids[Number(ok.Id)] = ok.MessageId ?? '';
      const failed = response.Failed ?? [];
      // An entry the service failed (not the sender), or failed with a throttling or transient code, may pass
      // on a later try; the send is retryable only when every failed entry may.
      const retryable = failed.filter((f) => !f.SenderFault || isRetryableAwsError({ name: f.Code }));
      if (failed.length === 0) return;
      if (attempt >= 1 || retryable.length < failed.length) {
        const detail = failed.map((f) => `message ${f.Id}: ${f.Code} ${f.Message ?? ''}`.trim()).join('; ');
        throw BackendError.failed(
          `SQS SendMessageBatch(${queueUrl})`,
          `${failed.length} message(s) were not sent: ${detail}`,
          retryable.length === failed.length,
        );
      }
      pending = retryable.map((f) => Number(f.Id));
    }
  }

  async receive(queueUrl: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    try {
      const { Messages } = await this.#sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(SQS_MAX_BATCH_ENTRIES, Math.max(1, options.maxMessages)),
          WaitTimeSeconds: options.waitTimeSeconds,
          ...(options.visibilityTimeoutSeconds === undefined
            ? {}
            : { VisibilityTimeout: options.visibilityTimeoutSeconds }),
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId'],
          MessageAttributeNames: ['All'],
        }),
        {
          // The wait counts towards the request timeout: a long poll gets its wait on top of the usual timeout.
          ...(options.waitTimeSeconds > 0
            ? { requestTimeout: options.waitTimeSeconds * 1000 + this.#requestTimeoutMs }
            : {}),
          ...(options.signal ? { abortSignal: options.signal } : {}),
        },
      );
      return (Messages ?? []).map((m) => ({
        messageId: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '1'),
        ...(m.Attributes?.SentTimestamp ? { sentTimestampMs: Number(m.Attributes.SentTimestamp) } : {}),
        ...(m.Attributes?.MessageGroupId ? { messageGroupId: m.Attributes.MessageGroupId } : {}),
        attributes: fromSqsAttributes(m.MessageAttributes),
      }));
    } catch (error) {
      if (options.signal?.aborted) return [];
      throw backendError(`SQS ReceiveMessage(${queueUrl})`, error);
    }
  }

  async delete(queueUrl: string, receiptHandles: readonly string[]): Promise<BatchEntryFailure[]> {
    const failures: BatchEntryFailure[] = [];
    for (let start = 0; start < receiptHandles.length; start += SQS_MAX_BATCH_ENTRIES) {
      const chunk = receiptHandles.slice(start, start + SQS_MAX_BATCH_ENTRIES);
      try {
        const { Failed } = await this.#sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((handle, i) => ({ Id: String(start + i), ReceiptHandle: handle })),
          }),
        );
        for (const f of Failed ?? [])
          failures.push({ index: Number(f.Id), code: f.Code ?? 'Unknown', message: f.Message ?? '' });
      } catch (error) {
        throw backendError(`SQS DeleteMessageBatch(${queueUrl})`, error);
      }
    }
    return failures;
  }

  async changeVisibility(
    queueUrl: string,
    entries: readonly { receiptHandle: string; visibilityTimeoutSeconds: number }[],
  ): Promise<BatchEntryFailure[]> {
    const failures: BatchEntryFailure[] = [];
    for (let start = 0; start < entries.length; start += SQS_MAX_BATCH_ENTRIES) {
      const chunk = entries.slice(start, start + SQS_MAX_BATCH_ENTRIES);
      try {
        const { Failed } = await this.#sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((entry, i) => ({
              Id: String(start + i),
              ReceiptHandle: entry.receiptHandle,
              VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(entry.visibilityTimeoutSeconds))),
            })),
          }),
        );
        for (const f of Failed ?? [])
          failures.push({ index: Number(f.Id), code: f.Code ?? 'Unknown', message: f.Message ?? '' });
      } catch (error) {
        throw backendError(`SQS ChangeMessageVisibilityBatch(${queueUrl})`, error);
      }
    }
    return failures;
  }
}
