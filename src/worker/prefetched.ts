/**
 * The long-running worker's prefetched messages: received ahead of a free slot, they wait here in the order they
 * came and start, oldest first, as slots free up (`slot-pool.ts` bounds how many wait). Each is tracked from its
 * receipt, so its visibility is kept alive while it waits (`keep-alive.ts`). On shutdown, every message still
 * waiting is handed back at once, one `ChangeMessageVisibility` batch of visibility 0 per queue, so another worker
 * runs it without waiting for its visibility timeout.
 */
import type { Broker } from '../ports/broker.js';
import { describeError } from './execution-context.js';
import type { InFlight } from './in-flight.js';
import type { SlotPool } from './slot-pool.js';

/** Messages received and not started yet. */
export class Prefetched {
  readonly #slots: SlotPool;
  readonly #start: (entry: InFlight) => void;
  readonly #waiting: InFlight[] = [];
  #closed = false;

  /** `start` runs an entry whose slot {@link SlotPool.start} has just taken. */
  constructor(slots: SlotPool, start: (entry: InFlight) => void) {
    this.#slots = slots;
    this.#start = start;
  }

  /** Messages waiting now. */
  get size(): number {
    return this.#waiting.length;
  }

  /** Queues received messages behind those already waiting, and starts what may start. */
  add(entries: readonly InFlight[]): void {
    this.#waiting.push(...entries);
    this.startReady();
  }

  /** Starts waiting messages, oldest first, while a running slot is free. */
  startReady(): void {
    while (!this.#closed && this.#slots.canStart) {
      const entry = this.#waiting.shift();
      if (!entry) return;
      this.#slots.start(entry.queue.name);
      this.#start(entry);
    }
  }

  /**
   * Stops starting messages and hands every waiting one back (visibility 0), a batch per queue; `forget` is
   * called for each so the host stops tracking it.
   */
  async handBack(
    broker: Broker,
    forget: (entry: InFlight) => void,
    log: (line: string) => void,
  ): Promise<void> {
    this.#closed = true;
    const entries = this.#waiting.splice(0);
    const byQueue = new Map<string, InFlight[]>();
    for (const entry of entries) {
      forget(entry);
      this.#slots.drop(entry.queue.name);
      byQueue.set(entry.queue.url, [...(byQueue.get(entry.queue.url) ?? []), entry]);
    }
    if (entries.length > 0) log(`handing ${entries.length} prefetched message(s) back to the queue`);
    await Promise.all(
      [...byQueue].map(async ([queueUrl, list]) => {
        try {
          const failed = await broker.changeVisibility(
            queueUrl,
            list.map((entry) => ({
              receiptHandle: entry.message.receiptHandle,
              visibilityTimeoutSeconds: 0,
            })),
          );
          for (const f of failed) {
            log(`could not hand back a prefetched message on ${queueUrl}: ${f.code} ${f.message}`);
          }
        } catch (error) {
          log(
            `could not hand back ${list.length} prefetched message(s) on ${queueUrl}: ${describeError(error)}`,
          );
        }
      }),
    );
  }
}
