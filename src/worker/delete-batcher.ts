/** Deletes finished messages in batches of up to 10 per queue, at most 200 ms after the first one is due. */
import type { Broker } from '../ports/broker.js';
import { describeError } from './execution-context.js';

const BATCH = 10;
const FLUSH_AFTER_MS = 200;

/** Collects receipt handles and deletes them in batches. */
export class DeleteBatcher {
  readonly #broker: Broker;
  readonly #log: (line: string) => void;
  readonly #pending = new Map<string, string[]>();
  #timer: NodeJS.Timeout | undefined;

  constructor(broker: Broker, log: (line: string) => void) {
    this.#broker = broker;
    this.#log = log;
  }

  /** Queues a delete; sends the queue's batch at once when it is full. */
  add(queueUrl: string, receiptHandle: string): void {
    const list = this.#pending.get(queueUrl) ?? [];
    list.push(receiptHandle);
    this.#pending.set(queueUrl, list);
    if (list.length >= BATCH) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
  }

  /** Sends every queued delete now. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batches = [...this.#pending];
    this.#pending.clear();
    await Promise.all(
      batches.map(async ([queueUrl, handles]) => {
        try {
          const failed = await this.#broker.delete(queueUrl, handles);
          for (const f of failed)
            this.#log(`could not delete a message from ${queueUrl}: ${f.code} ${f.message}`);
        } catch (error) {
          this.#log(
            `could not delete ${handles.length} message(s) from ${queueUrl}: ${describeError(error)}`,
          );
        }
      }),
    );
  }
}
