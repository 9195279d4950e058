/**
 * The broker on SQS. Sends go out in as few requests as SQS allows: one `SendMessage` for a single message,
 * otherwise `SendMessageBatch` requests of up to 10 entries whose total stays under SQS's 1 MiB request limit.
 * Failed batch entries are retried once before the send is reported as failed, naming each entry and its
 * error.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  type MessageAttributeValue,
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
  MessageAttribute,
  OutgoingMessage,
  ReceivedMessage,
  ReceiveOptions,
} from '../ports/broker.js';
import { awsErrorName, backendError } from './aws-error.js';

/** SQS's limit on one request's payload, shared by all entries of a batch. */
const MAX_REQUEST_BYTES = 1_048_576;
const MAX_BATCH_ENTRIES = 10;

function toSdkAttributes(attributes: Readonly<Record<string, MessageAttribute>> | undefined) {
  if (!attributes || Object.keys(attributes).length === 0) return undefined;
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    out[name] = {
      DataType: value.dataType,
      ...(value.stringValue === undefined ? {} : { StringValue: value.stringValue }),
      ...(value.binaryValue === undefined ? {} : { BinaryValue: value.binaryValue }),
    };
  }
  return out;
}

function fromSdkAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, MessageAttribute> {
  const out: Record<string, MessageAttribute> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    const dataType = (value.DataType?.split('.')[0] ?? 'String') as MessageAttribute['dataType'];
    out[name] = {
      dataType,
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { binaryValue: value.BinaryValue }),
    };
  }
  return out;
}

function messageSize(message: OutgoingMessage): number {
  let size = Buffer.byteLength(message.body, 'utf8');
  for (const [name, value] of Object.entries(message.attributes ?? {})) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.dataType);
    size += value.stringValue ? Buffer.byteLength(value.stringValue) : (value.binaryValue?.byteLength ?? 0);
  }
  return size;
}

/** Splits messages into batches of at most 10 entries and 1 MiB. */
export function planBatches(messages: readonly OutgoingMessage[]): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  messages.forEach((message, index) => {
    const size = messageSize(message);
    if (current.length > 0 && (current.length === MAX_BATCH_ENTRIES || bytes + size > MAX_REQUEST_BYTES)) {
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
  const attributes = toSdkAttributes(message.attributes);
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

/** {@link Broker} on Amazon SQS. */
export class SqsBroker implements Broker {
  readonly #sqs: SQSClient;

  constructor(sqs: SQSClient) {
    this.#sqs = sqs;
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
    for (const batch of planBatches(messages)) {
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
        const retryable = failed.filter((f) => !f.SenderFault);
        if (failed.length === 0) break;
        if (attempt >= 1 || retryable.length < failed.length) {
          const detail = failed.map((f) => `message ${f.Id}: ${f.Code} ${f.Message ?? ''}`.trim()).join('; ');
          throw new BackendError(
            `SQS SendMessageBatch(${queueUrl})`,
            `${failed.length} message(s) were not sent: ${detail}`,
            false,
          );
        }
        pending = retryable.map((f) => Number(f.Id));
      }
    }
    return ids;
  }

  async receive(queueUrl: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    try {
      const { Messages } = await this.#sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(MAX_BATCH_ENTRIES, Math.max(1, options.maxMessages)),
          WaitTimeSeconds: options.waitTimeSeconds,
          ...(options.visibilityTimeoutSeconds === undefined
            ? {}
            : { VisibilityTimeout: options.visibilityTimeoutSeconds }),
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId'],
          MessageAttributeNames: ['All'],
        }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      return (Messages ?? []).map((m) => ({
        messageId: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '1'),
        ...(m.Attributes?.SentTimestamp ? { sentTimestampMs: Number(m.Attributes.SentTimestamp) } : {}),
        ...(m.Attributes?.MessageGroupId ? { messageGroupId: m.Attributes.MessageGroupId } : {}),
        attributes: fromSdkAttributes(m.MessageAttributes),
      }));
    } catch (error) {
      if (options.signal?.aborted) return [];
      throw backendError(`SQS ReceiveMessage(${queueUrl})`, error);
    }
  }

  async delete(queueUrl: string, receiptHandles: readonly string[]): Promise<BatchEntryFailure[]> {
    const failures: BatchEntryFailure[] = [];
    for (let start = 0; start < receiptHandles.length; start += MAX_BATCH_ENTRIES) {
      const chunk = receiptHandles.slice(start, start + MAX_BATCH_ENTRIES);
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
    for (let start = 0; start < entries.length; start += MAX_BATCH_ENTRIES) {
      const chunk = entries.slice(start, start + MAX_BATCH_ENTRIES);
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
