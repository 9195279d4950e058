/**
 * What an operator does to SQS queues, apart from sending and consuming: find a queue by name or URL, read its
 * depths and redrive policy, purge it, look at its messages without consuming them, delete some of them. The
 * operator layer (`src/ops/`) and so the CLI and the dashboard speak to SQS only through this and
 * `redrive-dead-letters.ts`. Every SDK error becomes a {@link QueueNotFoundError}, a
 * {@link PermissionDeniedError} naming the IAM action, a {@link PurgeInProgressError}, or a `BackendError`.
 *
 * "Looking" at a message is a receive: SQS has no peek. {@link SqsQueueAdmin.peek} receives with a visibility
 * timeout and makes the messages visible again at once; each look counts one receive towards a source queue's
 * `maxReceiveCount` (harmless on a dead-letter queue, which has no redrive policy of its own).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { QueueNotFoundError, queueAdminError } from './queue-admin-errors.js';

/** A queue's counts, as SQS reports them (approximate). */
export interface QueueDepth {
  readonly url: string;
  readonly name: string;
  readonly arn: string;
  /** Messages ready to receive. */
  readonly visible: number;
  /** Received and not yet deleted. */
  readonly inFlight: number;
  /** Sent with a delay that has not passed. */
  readonly delayed: number;
  /** The queue's dead-letter queue (its ARN) and how many receives send a message there. */
  readonly redrivePolicy?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
}

/** A message looked at with {@link SqsQueueAdmin.peek}. */
export interface PeekedMessage {
  readonly messageId: string;
  readonly body: string;
  /** Receives so far, this look included. */
  readonly receiveCount: number;
  readonly sentTimestampMs?: number;
  /** The ARN of the queue it came from, for a message SQS dead-lettered. */
  readonly sourceArn?: string;
  /** String message attributes (the S3 pointer size, for example). */
  readonly attributes: Readonly<Record<string, string>>;
}

/** The queue's name: the last path segment of its URL. */
export const queueNameOf = (url: string): string => url.split('/').at(-1) ?? url;

/** Whether a string is a queue URL rather than a name. */
export const isQueueUrl = (queue: string): boolean => /^https?:\/\//.test(queue);

/** Operator actions on SQS queues. */
export class SqsQueueAdmin {
  readonly #sqs: SQSClient;

  constructor(sqs: SQSClient) {
    this.#sqs = sqs;
  }

  /**
   * The URL of a queue given by URL or name.
   *
   * @throws {QueueNotFoundError} naming the queue when there is none.
   */
  async resolve(queue: string): Promise<string> {
    if (isQueueUrl(queue)) return queue;
    try {
      const { QueueUrl } = await this.#sqs.send(new GetQueueUrlCommand({ QueueName: queue }));
      if (QueueUrl) return QueueUrl;
    } catch (error) {
      throw queueAdminError('sqs:GetQueueUrl', queue, error);
    }
    throw new QueueNotFoundError(queue);
  }

  /** The URL of a queue given by its ARN. */
  async urlOfArn(arn: string): Promise<string> {
    const name = arn.split(':')[5];
    if (name === undefined) throw new QueueNotFoundError(arn);
    return await this.resolve(name);
  }

  /** A queue's depths and redrive policy. */
  async depth(url: string): Promise<QueueDepth> {
    let attributes: Record<string, string>;
    try {
      ({ Attributes: attributes = {} } = await this.#sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
      ));
    } catch (error) {
      throw queueAdminError('sqs:GetQueueAttributes', url, error);
    }
    const policy = attributes.RedrivePolicy ? parsePolicy(attributes.RedrivePolicy) : undefined;
    return {
      url,
      name: queueNameOf(url),
      arn: attributes.QueueArn ?? '',
      visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0),
      ...(policy ? { redrivePolicy: policy } : {}),
    };
  }

  /** The URLs of the queues whose redrive policy names this dead-letter queue. */
  async sourcesOf(deadLetterUrl: string): Promise<string[]> {
    try {
      const { queueUrls = [] } = await this.#sqs.send(
        new ListDeadLetterSourceQueuesCommand({ QueueUrl: deadLetterUrl }),
      );
      return queueUrls;
    } catch (error) {
      throw queueAdminError('sqs:ListDeadLetterSourceQueues', deadLetterUrl, error);
    }
  }

  /**
   * Purges a queue: every message, visible or not, is deleted by SQS within 60 s.
   *
   * @returns the number of messages in the queue just before (approximate, as SQS counts).
   * @throws {PurgeInProgressError} within 60 s of the queue's last purge.
   */
  async purge(url: string): Promise<number> {
    const { visible, inFlight, delayed } = await this.depth(url);
    try {
      await this.#sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    } catch (error) {
      throw queueAdminError('sqs:PurgeQueue', url, error);
    }
    return visible + inFlight + delayed;
  }

  /**
   * Receives up to `max` messages and makes them visible again at once: a look, not a consume.
   * Messages already in flight elsewhere are not seen.
   */
  async peek(url: string, max: number): Promise<PeekedMessage[]> {
    const seen = new Map<string, { message: PeekedMessage; handle: string }>();
    try {
      for (let empty = 0; seen.size < max && empty < 2; ) {
        const { Messages = [] } = await this.#sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: Math.min(10, max - seen.size),
            WaitTimeSeconds: 1,
            VisibilityTimeout: 30,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
          }),
        );
        const fresh = Messages.filter((m) => m.MessageId && !seen.has(m.MessageId));
        if (fresh.length === 0) empty += 1;
        for (const m of fresh) {
          const attributes: Record<string, string> = {};
          for (const [key, value] of Object.entries(m.MessageAttributes ?? {})) {
            if (value.StringValue !== undefined) attributes[key] = value.StringValue;
          }
          const sent = Number(m.Attributes?.SentTimestamp);
          const sourceArn = m.Attributes?.DeadLetterQueueSourceArn;
          seen.set(m.MessageId ?? '', {
            handle: m.ReceiptHandle ?? '',
            message: {
              messageId: m.MessageId ?? '',
              body: m.Body ?? '',
              receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
              ...(Number.isFinite(sent) ? { sentTimestampMs: sent } : {}),
              ...(sourceArn ? { sourceArn } : {}),
              attributes,
            },
          });
        }
      }
    } catch (error) {
      throw queueAdminError('sqs:ReceiveMessage', url, error);
    } finally {
      await this.#release(
        url,
        [...seen.values()].map((s) => s.handle),
      );
    }
    return [...seen.values()].map((s) => s.message);
  }

  /**
   * Deletes the messages with these ids (all messages when `messageIds` is `'all'`) that can be received now.
   *
   * @returns the ids deleted.
   */
  async deleteMessages(url: string, messageIds: readonly string[] | 'all'): Promise<string[]> {
    const wanted = messageIds === 'all' ? undefined : new Set(messageIds);
    const deleted: string[] = [];
    const others: string[] = [];
    const looked = new Set<string>();
    try {
      for (let empty = 0; empty < 2 && (wanted === undefined || deleted.length < wanted.size); ) {
        const { Messages = [] } = await this.#sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            VisibilityTimeout: 30,
          }),
        );
        const fresh = Messages.filter((m) => m.MessageId && !looked.has(m.MessageId));
        if (fresh.length === 0) {
          empty += 1;
          continue;
        }
        const doomed = fresh.filter((m) => wanted === undefined || wanted.has(m.MessageId ?? ''));
        for (const m of fresh) {
          looked.add(m.MessageId ?? '');
          if (!doomed.includes(m)) others.push(m.ReceiptHandle ?? '');
        }
        if (doomed.length === 0) continue;
        const { Failed = [] } = await this.#sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: doomed.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        );
        const failed = new Set(Failed.map((f) => Number(f.Id)));
        doomed.forEach((m, i) => {
          if (!failed.has(i)) deleted.push(m.MessageId ?? '');
          else others.push(m.ReceiptHandle ?? '');
        });
      }
    } catch (error) {
      throw queueAdminError('sqs:DeleteMessage', url, error);
    } finally {
      await this.#release(url, others);
    }
    return deleted;
  }

  /** Closes the client's sockets. */
  destroy(): void {
    this.#sqs.destroy();
  }

  async #release(url: string, handles: readonly string[]): Promise<void> {
    for (let i = 0; i < handles.length; i += 10) {
      const entries = handles
        .slice(i, i + 10)
        .map((handle, j) => ({ Id: String(j), ReceiptHandle: handle, VisibilityTimeout: 0 }));
      try {
        await this.#sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: entries }));
      } catch {
        // They come back by themselves when their 30 s visibility timeout ends.
      }
    }
  }
}

function parsePolicy(text: string): QueueDepth['redrivePolicy'] {
  try {
    const policy = JSON.parse(text) as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
    if (!policy.deadLetterTargetArn) return undefined;
    return {
      deadLetterTargetArn: policy.deadLetterTargetArn,
      maxReceiveCount: Number(policy.maxReceiveCount ?? 0),
    };
  } catch {
    return undefined;
  }
}
