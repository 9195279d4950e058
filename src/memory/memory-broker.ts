/**
 * SQS in memory: delays, visibility timeouts, receive counts, long polling, batch limits and an optional
 * dead-letter queue after `maxReceiveCount`, with SQS's semantics, for unit tests and local tools. Queue URLs
 * look like `memory://<name>`.
 */
import type {
  BatchEntryFailure,
  Broker,
  MessageAttribute,
  OutgoingMessage,
  ReceivedMessage,
  ReceiveOptions,
} from '../ports/broker.js';

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, MessageAttribute>>;
  readonly messageGroupId?: string;
  readonly sentAtMs: number;
  visibleAtMs: number;
  receiveCount: number;
  receiptHandle?: string;
}

interface MemoryQueue {
  readonly name: string;
  readonly messages: StoredMessage[];
  readonly visibilityTimeoutSeconds: number;
  readonly deadLetter?: { readonly url: string; readonly maxReceiveCount: number };
  readonly waiters: Set<() => void>;
}

/** Options for a queue created with {@link MemoryBroker.createQueue}. */
export interface MemoryQueueOptions {
  /** Default 30 s, as SQS. */
  readonly visibilityTimeoutSeconds?: number;
  /** Moves a message to this queue after it was received `maxReceiveCount` times. */
  readonly deadLetter?: { readonly queueName: string; readonly maxReceiveCount: number };
}

/** An in-memory {@link Broker}. */
export class MemoryBroker implements Broker {
  readonly #queues = new Map<string, MemoryQueue>();
  readonly #now: () => number;
  #sequence = 0;

  /** @param now clock, epoch ms; tests pass a controllable one. */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Creates a queue (idempotent) and returns its URL. */
  createQueue(name: string, options: MemoryQueueOptions = {}): string {
    const url = `memory://${name}`;
    if (!this.#queues.has(url)) {
      this.#queues.set(url, {
        name,
        messages: [],
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
        ...(options.deadLetter
          ? {
              deadLetter: {
                url: this.createQueue(options.deadLetter.queueName),
                maxReceiveCount: options.deadLetter.maxReceiveCount,
              },
            }
          : {}),
        waiters: new Set(),
      });
    }
    return url;
  }

  #queue(url: string): MemoryQueue {
    const queue = this.#queues.get(url);
    if (!queue) throw new Error(`The queue ${url} does not exist (AWS.SimpleQueueService.NonExistentQueue)`);
    return queue;
  }

  async queueUrl(sqsQueueName: string): Promise<string> {
    const url = `memory://${sqsQueueName}`;
    this.#queue(url);
    return url;
  }

  async send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<string[]> {
    const queue = this.#queue(queueUrl);
    const now = this.#now();
    const ids = messages.map((message) => {
      if (message.delaySeconds !== undefined && (message.delaySeconds < 0 || message.delaySeconds > 900)) {
        throw new Error(`DelaySeconds must be 0-900, got ${message.delaySeconds}`);
      }
      const messageId = `m-${++this.#sequence}`;
      queue.messages.push({
        messageId,
        body: message.body,
        attributes: message.attributes ?? {},
        ...(message.messageGroupId === undefined ? {} : { messageGroupId: message.messageGroupId }),
        sentAtMs: now,
        visibleAtMs: now + (message.delaySeconds ?? 0) * 1000,
        receiveCount: 0,
      });
      return messageId;
    });
    for (const wake of queue.waiters) wake();
    return ids;
  }

  #take(queue: MemoryQueue, options: ReceiveOptions): ReceivedMessage[] {
    const now = this.#now();
    const out: ReceivedMessage[] = [];
    for (const message of [...queue.messages]) {
      if (out.length >= Math.min(10, options.maxMessages)) break;
      if (message.visibleAtMs > now) continue;
      if (queue.deadLetter && message.receiveCount >= queue.deadLetter.maxReceiveCount) {
        queue.messages.splice(queue.messages.indexOf(message), 1);
        const dlq = this.#queue(queue.deadLetter.url);
        dlq.messages.push({ ...message, visibleAtMs: now });
        continue;
      }
      message.receiveCount += 1;
      message.receiptHandle = `${message.messageId}#${message.receiveCount}`;
      message.visibleAtMs = now + (options.visibilityTimeoutSeconds ?? queue.visibilityTimeoutSeconds) * 1000;
      out.push({
        messageId: message.messageId,
        receiptHandle: message.receiptHandle,
        body: message.body,
        receiveCount: message.receiveCount,
        sentTimestampMs: message.sentAtMs,
        attributes: message.attributes,
        ...(message.messageGroupId === undefined ? {} : { messageGroupId: message.messageGroupId }),
      });
    }
    return out;
  }

  async receive(queueUrl: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    const queue = this.#queue(queueUrl);
    const deadline = this.#now() + options.waitTimeSeconds * 1000;
    for (;;) {
      const taken = this.#take(queue, options);
      if (taken.length > 0 || this.#now() >= deadline || options.signal?.aborted) return taken;
      const nextVisible = Math.min(
        ...queue.messages.map((m) => m.visibleAtMs).filter((t) => t > this.#now()),
        deadline,
      );
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          queue.waiters.delete(wake);
          options.signal?.removeEventListener('abort', wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(1, Math.min(nextVisible - this.#now(), 1000)));
        queue.waiters.add(wake);
        options.signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  async delete(queueUrl: string, receiptHandles: readonly string[]): Promise<BatchEntryFailure[]> {
    const queue = this.#queue(queueUrl);
    const failures: BatchEntryFailure[] = [];
    receiptHandles.forEach((handle, index) => {
      const at = queue.messages.findIndex((m) => m.receiptHandle === handle);
      // SQS accepts a delete for a message already deleted; only a malformed handle fails.
      if (at >= 0) queue.messages.splice(at, 1);
      else if (!handle.includes('#'))
        failures.push({ index, code: 'ReceiptHandleIsInvalid', message: 'invalid handle' });
    });
    return failures;
  }

  async changeVisibility(
    queueUrl: string,
    entries: readonly { receiptHandle: string; visibilityTimeoutSeconds: number }[],
  ): Promise<BatchEntryFailure[]> {
    const queue = this.#queue(queueUrl);
    const failures: BatchEntryFailure[] = [];
    entries.forEach((entry, index) => {
      const message = queue.messages.find((m) => m.receiptHandle === entry.receiptHandle);
      if (!message) {
        failures.push({
          index,
          code: 'ReceiptHandleIsInvalid',
          message: 'the message is gone or the handle is stale',
        });
        return;
      }
      message.visibleAtMs = this.#now() + entry.visibilityTimeoutSeconds * 1000;
    });
    for (const wake of queue.waiters) wake();
    return failures;
  }

  /** Test helper: the messages currently on a queue (visible or not), oldest first. */
  peek(queueUrl: string): readonly { body: string; receiveCount: number; visibleAtMs: number }[] {
    return this.#queue(queueUrl).messages.map(({ body, receiveCount, visibleAtMs }) => ({
      body,
      receiveCount,
      visibleAtMs,
    }));
  }
}
