/**
 * Deletes finished messages in full batches of 10 per queue where it can: a batch goes out when it is full, or
 * `flushAfterMs` (default 1 s) after its first message was due, so a slow trickle still goes out in time.
 */
import type { Broker } from '../ports/broker.js';
import { describeError } from './execution-context.js';

const BATCH = 10;
/** How long a due delete waits for its batch to fill, by default. */
export const FLUSH_AFTER_MS = 1000;

/** Collects receipt handles and deletes them in batches. */
export class DeleteBatcher {
  readonly #broker: Broker;
  readonly #log: (line: string) => void;
  readonly #flushAfterMs: number;
  readonly #pending = new Map<string, string[]>();
  #timer: NodeJS.Timeout | undefined;

  constructor(broker: Broker, log: (line: string) => void, flushAfterMs = FLUSH_AFTER_MS) {
    this.#broker = broker;
    this.#log = log;
    this.#flushAfterMs = flushAfterMs;
  }

  /** Queues a delete; sends the queue's batch at once when it is full. */
  add(queueUrl: string, receiptHandle: string): void {
    const list = this.#pending.get(queueUrl) ?? [];
    list.push(receiptHandle);
    this.#pending.set(queueUrl, list);
    if (list.length >= BATCH) void this.#send(queueUrl);
    else this.#timer ??= setTimeout(() => void this.flush(), this.#flushAfterMs);
  }

  /** Sends one queue's full batch, leaving the other queues' to fill. */
  async #send(queueUrl: string): Promise<void> {
    const handles = this.#pending.get(queueUrl) ?? [];
    this.#pending.delete(queueUrl);
    if (this.#pending.size === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    await this.#delete(queueUrl, handles);
  }

  /** Sends every queued delete now. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batches = [...this.#pending];
    this.#pending.clear();
    await Promise.all(batches.map(([queueUrl, handles]) => this.#delete(queueUrl, handles)));
  }

  async #delete(queueUrl: string, handles: readonly string[]): Promise<void> {
    try {
      const failed = await this.#broker.delete(queueUrl, handles);
      for (const f of failed)
        this.#log(`could not delete a message from ${queueUrl}: ${f.code} ${f.message}`);
    } catch (error) {
      this.#log(`could not delete ${handles.length} message(s) from ${queueUrl}: ${describeError(error)}`);
    }
  }
}
