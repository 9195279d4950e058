/**
 * The long-running worker's concurrency slots, shared by the pollers of its queues by weight. A poller reserves
 * free slots before it asks SQS for messages (at most 10), so `concurrency` bounds the tasks of all queues
 * together and nothing waits in memory unstarted.
 *
 * How slots are shared:
 * - A queue whose last receive brought messages is *busy*. Busy queues share the slots in proportion to their
 *   weights: a queue may hold and reserve at most `ceil(concurrency × weight / sum of the busy weights)`.
 * - A queue whose last receive came back empty is *idle* and lends its share: the busy queues' shares are
 *   computed without it. While other queues are consumed too, an idle queue asks for one message at a time (it
 *   holds one slot while it polls), and is busy again as soon as a receive brings something. A worker with one
 *   queue always asks for as many messages as it has free slots.
 * - Free slots go to the waiting poller that has been granted the fewest slots for its weight (each grant adds
 *   `slots / weight` to a queue's count), ties to the queue listed first. So while every queue has messages,
 *   grants follow the weights even with one slot, and no queue is starved: a queue that was idle rejoins at the
 *   lowest count among the busy queues, rather than with credit for the time it had nothing to do.
 */

interface Lane {
  readonly order: number;
  weight: number;
  held: number;
  reserved: number;
  busy: boolean;
  consuming: boolean;
  /** Slots granted so far, divided by the weight (the fair-share clock). */
  granted: number;
  waiter: ((slots: number) => void) | undefined;
}

/** Concurrency slots: reserved by the queues' pollers, then held by running messages. */
export class SlotPool {
  readonly #size: number;
  readonly #lanes = new Map<string, Lane>();
  #closed = false;

  constructor(size: number) {
    this.#size = size;
  }

  /** Slots neither reserved nor held. */
  get free(): number {
    let used = 0;
    for (const lane of this.#lanes.values()) used += lane.held + lane.reserved;
    return this.#size - used;
  }

  /** Starts sharing slots with `queue` (again, after {@link SlotPool.removeQueue}), at `weight` (>= 1). */
  addQueue(queue: string, weight: number): void {
    const lane = this.#lanes.get(queue);
    const granted = this.#lowestBusyGranted(lane);
    if (lane) {
      lane.weight = weight;
      lane.consuming = true;
      lane.granted = Math.max(lane.granted, granted);
      return;
    }
    this.#lanes.set(queue, {
      order: this.#lanes.size,
      weight,
      held: 0,
      reserved: 0,
      busy: false,
      consuming: true,
      granted,
      waiter: undefined,
    });
  }

  /** Stops sharing slots with `queue`: a waiting poller gets 0; slots it holds are still released one by one. */
  removeQueue(queue: string): void {
    const lane = this.#lanes.get(queue);
    if (!lane) return;
    lane.consuming = false;
    lane.busy = false;
    this.#grant(lane, 0);
    this.#serve();
  }

  /** Reserves the slots `queue` may receive into now (1 to 10), waiting for its turn; 0 once closed or removed. */
  reserve(queue: string): Promise<number> {
    const lane = this.#lanes.get(queue);
    if (this.#closed || !lane?.consuming) return Promise.resolve(0);
    return new Promise((grant) => {
      this.#grant(lane, 0); // a poller waits for one reservation at a time
      lane.waiter = grant;
      this.#serve();
    });
  }

  /** Turns `received` of `reserved` slots into held ones, gives the rest back, and marks the queue busy or idle. */
  settle(queue: string, reserved: number, received: number): void {
    const lane = this.#lanes.get(queue);
    if (!lane) return;
    lane.reserved -= reserved;
    lane.held += received;
    if (received > 0 && !lane.busy && lane.consuming) {
      lane.granted = Math.max(lane.granted, this.#lowestBusyGranted(lane));
      lane.busy = true;
    } else if (received === 0 && reserved > 0) {
      lane.busy = false;
    }
    this.#serve();
  }

  /** Gives back a slot `queue` held (its message is done). */
  release(queue: string): void {
    const lane = this.#lanes.get(queue);
    if (!lane) return;
    lane.held -= 1;
    this.#serve();
  }

  /** Stops granting: every waiting poller gets 0. */
  close(): void {
    this.#closed = true;
    for (const lane of this.#lanes.values()) this.#grant(lane, 0);
  }

  /** The slots `lane` may reserve now; 0 or less when it must wait. */
  #want(lane: Lane): number {
    const consuming = [...this.#lanes.values()].filter((other) => other.consuming);
    if (!lane.busy && consuming.length > 1) return Math.min(1, this.free);
    let weights = lane.weight;
    for (const other of consuming) if (other !== lane && other.busy) weights += other.weight;
    const share = Math.ceil((this.#size * lane.weight) / weights);
    return Math.min(10, this.free, share - lane.held - lane.reserved);
  }

  #serve(): void {
    if (this.#closed) return;
    for (;;) {
      let best: Lane | undefined;
      let bestWant = 0;
      for (const lane of this.#lanes.values()) {
        if (!lane.waiter) continue;
        const want = this.#want(lane);
        if (want <= 0) continue;
        if (
          !best ||
          lane.granted < best.granted ||
          (lane.granted === best.granted && lane.order < best.order)
        ) {
          best = lane;
          bestWant = want;
        }
      }
      if (!best) return;
      best.reserved += bestWant;
      best.granted += bestWant / best.weight;
      this.#grant(best, bestWant);
    }
  }

  #grant(lane: Lane, slots: number): void {
    const waiter = lane.waiter;
    lane.waiter = undefined;
    waiter?.(slots);
  }

  /** The fair-share clock a queue (re)joining the busy ones starts from: the lowest among the others. */
  #lowestBusyGranted(except: Lane | undefined): number {
    let lowest: number | undefined;
    for (const lane of this.#lanes.values()) {
      if (lane === except || !lane.busy || !lane.consuming) continue;
      lowest = lowest === undefined ? lane.granted : Math.min(lowest, lane.granted);
    }
    return lowest ?? except?.granted ?? 0;
  }
}
