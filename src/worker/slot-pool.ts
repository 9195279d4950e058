/**
 * The long-running worker's concurrency slots, shared by the pollers of all its queues. A poller reserves free
 * slots before it asks SQS for messages (at most 10, at most its queue's share), so `concurrency` bounds the tasks
 * of all queues together and nothing waits in memory unstarted. Pollers waiting for slots are served first come,
 * first served: freed slots go to the longest-waiting poller directly, so a poller that just received cannot take
 * them again before the others get a turn.
 */

/** Concurrency slots: reserved by pollers, then held by running messages. */
export class SlotPool {
  readonly #size: number;
  #reserved = 0;
  #held = 0;
  #closed = false;
  readonly #waiters: { readonly share: number; readonly grant: (slots: number) => void }[] = [];

  constructor(size: number) {
    this.#size = size;
  }

  /** Slots neither reserved nor held. */
  get free(): number {
    return this.#size - this.#held - this.#reserved;
  }

  /** Reserves up to `share` free slots (at most 10), waiting for a turn when none is free; 0 once closed. */
  reserve(share: number): Promise<number> {
    if (this.#closed) return Promise.resolve(0);
    if (this.#waiters.length === 0 && this.free > 0) {
      const slots = Math.min(10, this.free, share);
      this.#reserved += slots;
      return Promise.resolve(slots);
    }
    return new Promise((grant) => this.#waiters.push({ share, grant }));
  }

  /** Turns `received` of `reserved` slots into held ones and gives the rest back. */
  settle(reserved: number, received: number): void {
    this.#reserved -= reserved;
    this.#held += received;
    this.#serve();
  }

  /** Gives back a held slot (its message is done). */
  release(): void {
    this.#held -= 1;
    this.#serve();
  }

  /** Stops granting: every waiting poller gets 0. */
  close(): void {
    this.#closed = true;
    this.#serve();
  }

  #serve(): void {
    for (;;) {
      const waiter = this.#waiters[0];
      if (!waiter) return;
      if (this.#closed) {
        this.#waiters.shift();
        waiter.grant(0);
        continue;
      }
      const free = this.free;
      if (free <= 0) return;
      this.#waiters.shift();
      const slots = Math.min(10, free, waiter.share);
      this.#reserved += slots;
      waiter.grant(slots);
    }
  }
}
