/**
 * Send coalescing (`coalesceSendsMs`, opt-in): single-message sends to the same standard queue that arrive
 * within a few milliseconds of each other leave as one `SendMessageBatch` of up to 10 messages. It is for API
 * Lambdas that fan out with many concurrent `delay()` calls: ten sends cost one request instead of ten.
 *
 * How it composes with the rest:
 * - Only single-message sends to standard queues wait. A send of several messages (`sendTasks`, a group) is
 *   already batched and goes straight through, and FIFO queues keep their order by never being coalesced.
 * - A window opens with the first waiting send and closes after `windowMs`, or at once when 10 messages wait;
 *   the underlying broker then splits them by SQS's batch size limit as it does any send.
 * - Each caller gets its own message id. When the batch request fails, every caller in it gets the error: a
 *   caller may then see an error for a message that was sent, and its retry sends the same task id again,
 *   which the workers' claim runs once.
 * - Receives, deletes and visibility changes pass through untouched.
 */
import type {
  BatchEntryFailure,
  Broker,
  OutgoingMessage,
  ReceivedMessage,
  ReceiveOptions,
} from './ports/broker.js';
import { SQS_MAX_BATCH_ENTRIES } from './ports/service-limits.js';

interface Waiting {
  readonly message: OutgoingMessage;
  readonly resolve: (id: string) => void;
  readonly reject: (error: unknown) => void;
}

interface Window {
  readonly waiting: Waiting[];
  readonly timer: ReturnType<typeof setTimeout>;
}

/** A {@link Broker} that merges concurrent single-message sends per queue into batches. */
export class CoalescingBroker implements Broker {
  readonly #inner: Broker;
  readonly #windowMs: number;
  readonly #windows = new Map<string, Window>();

  /**
   * @param inner the broker that sends.
   * @param windowMs how long the first waiting send waits for others (milliseconds, > 0).
   */
  constructor(inner: Broker, windowMs: number) {
    this.#inner = inner;
    this.#windowMs = windowMs;
  }

  queueUrl(sqsQueueName: string): Promise<string> {
    return this.#inner.queueUrl(sqsQueueName);
  }

  async send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<string[]> {
    const [only] = messages;
    if (messages.length !== 1 || !only || queueUrl.endsWith('.fifo')) {
      return await this.#inner.send(queueUrl, messages);
    }
    const id = await new Promise<string>((resolve, reject) => {
      let window = this.#windows.get(queueUrl);
      if (!window) {
        window = { waiting: [], timer: setTimeout(() => this.#flush(queueUrl), this.#windowMs) };
        this.#windows.set(queueUrl, window);
      }
      window.waiting.push({ message: only, resolve, reject });
      if (window.waiting.length >= SQS_MAX_BATCH_ENTRIES) this.#flush(queueUrl);
    });
    return [id];
  }

  #flush(queueUrl: string): void {
    const window = this.#windows.get(queueUrl);
    if (!window) return;
    this.#windows.delete(queueUrl);
    clearTimeout(window.timer);
    const { waiting } = window;
    this.#inner
      .send(
        queueUrl,
        waiting.map((w) => w.message),
      )
      .then(
        (ids) => {
          waiting.forEach((w, i) => {
            w.resolve(ids[i] ?? '');
          });
        },
        (error: unknown) => {
          for (const w of waiting) w.reject(error);
        },
      );
  }

  receive(queueUrl: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    return this.#inner.receive(queueUrl, options);
  }

  delete(queueUrl: string, receiptHandles: readonly string[]): Promise<BatchEntryFailure[]> {
    return this.#inner.delete(queueUrl, receiptHandles);
  }

  changeVisibility(
    queueUrl: string,
    entries: readonly { readonly receiptHandle: string; readonly visibilityTimeoutSeconds: number }[],
  ): Promise<BatchEntryFailure[]> {
    return this.#inner.changeVisibility(queueUrl, entries);
  }
}
