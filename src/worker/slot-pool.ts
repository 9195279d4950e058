/**
 * The long-running worker's message slots, and which queue receives next. A poller reserves slots before it asks
 * SQS for messages, so the worker never holds more than `concurrency` running messages plus `prefetch` waiting
 * ones, of all its queues together.
 *
 * Few receives per task:
 * - A receive asks for a full batch (10, or the whole capacity when it is smaller) and waits until that much room
 *   is free. With `prefetch` of 10 or more, room for a batch opens before a slot runs dry, so no slot waits for
 *   it. With a smaller prefetch, when a slot would stay idle, the room free then is granted after `mergeMs`, so
 *   slots freed within a few milliseconds share one receive.
 * - A FIFO queue's messages run as soon as they are received (their groups in order, `fifo-lanes.ts`), so it
 *   receives into free running slots only, at once, never into the prefetch.
 *
 * Which queue receives (one queue per receive, by weight):
 * - A queue whose last receive brought messages is *busy*. Free room goes to the waiting busy queue whose count
 *   of messages received for its weight (each message adds `1 / weight`) would be lowest with this batch, ties to
 *   the queue listed first: while every queue has messages, receipts follow the weights, and none is starved.
 * - A queue whose last receive came back empty is *idle*. While another queue is busy, an idle queue is probed
 *   (received from without waiting) at most once every `probeMs`, ahead of the busy ones; it is busy again as
 *   soon as a receive brings something, and rejoins at the lowest count among the busy queues, without credit for
 *   the time it had nothing. While every queue of several is idle, each long-polls at once for its weight's part
 *   of the room (at least one message), so a message on any of them is seen at once.
 */

interface Lane {
  readonly order: number;
  readonly fifo: boolean;
  weight: number;
  /** Received, not started. */
  waiting: number;
  running: number;
  reserved: number;
  busy: boolean;
  consuming: boolean;
  /** Messages received so far, divided by the weight (the fair-share clock). */
  granted: number;
  lastReceiveAtMs: number;
  nextProbeAtMs: number;
  waiter: ((slots: number) => void) | undefined;
}

/** How many messages one SQS receive returns at most. */
export const RECEIVE_BATCH = 10;

/** Options for {@link SlotPool}. */
export interface SlotPoolOptions {
  /** Messages running at once. */
  readonly concurrency: number;
  /** Messages received ahead of a free slot, waiting to start (their visibility kept alive). Default 0. */
  readonly prefetch?: number;
  /** How long freed slots wait for more before a receive asks for fewer than a full batch. Default 5 ms. */
  readonly mergeMs?: number;
  /** How often an idle queue is probed while another queue is busy. Default 1000 ms. */
  readonly probeMs?: number;
  /** Milliseconds now; default `Date.now`. */
  readonly now?: () => number;
}

/** Message slots: reserved by the queues' pollers, then held by waiting and running messages. */
export class SlotPool {
  readonly #concurrency: number;
  readonly #capacity: number;
  readonly #mergeMs: number;
  readonly #probeMs: number;
  readonly #now: () => number;
  readonly #lanes = new Map<string, Lane>();
  #closed = false;
  #mergeDue = false;
  #mergeTimer: NodeJS.Timeout | undefined;
  #wakeTimer: NodeJS.Timeout | undefined;
  #wakeAtMs = Number.POSITIVE_INFINITY;

  constructor(options: SlotPoolOptions) {
    this.#concurrency = Math.max(1, options.concurrency);
    this.#capacity = this.#concurrency + Math.max(0, options.prefetch ?? 0);
    this.#mergeMs = options.mergeMs ?? 5;
    this.#probeMs = options.probeMs ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Slots neither reserved nor held (running or waiting). */
  get free(): number {
    return this.#capacity - this.#total('held') - this.#total('reserved');
  }

  /** Messages running now, of all queues. */
  get running(): number {
    return this.#total('running');
  }

  /** Whether one more received message may start now (fewer than `concurrency` run). */
  get canStart(): boolean {
    return this.running < this.#concurrency;
  }

  /** Starts sharing slots with `queue` (again, after {@link SlotPool.removeQueue}), at `weight` (>= 1). */
  addQueue(queue: string, weight: number, fifo = false): void {
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
      fifo,
      weight,
      waiting: 0,
      running: 0,
      reserved: 0,
      busy: false,
      consuming: true,
      granted,
      lastReceiveAtMs: 0,
      nextProbeAtMs: 0,
      waiter: undefined,
    });
  }

  /** Stops sharing slots with `queue`: a waiting poller gets 0; what it holds is still released one by one. */
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

  /**
   * How long `queue`'s receive should wait for messages, given the long-poll wait: all of it for the only queue,
   * or an idle one while every queue is idle; none for a probe (idle, another queue busy); at most a second for a
   * busy queue among several, so the others get their turn.
   */
  waitFor(queue: string, waitTimeSeconds: number): number {
    const lane = this.#lanes.get(queue);
    if (!lane || this.#consuming() <= 1) return waitTimeSeconds;
    if (lane.busy) return Math.min(1, waitTimeSeconds);
    return this.#otherBusy(lane) ? 0 : waitTimeSeconds;
  }

  /** Turns `received` of `reserved` slots into waiting ones, gives the rest back, marks the queue busy or idle. */
  settle(queue: string, reserved: number, received: number): void {
    const lane = this.#lanes.get(queue);
    if (!lane) return;
    const now = this.#now();
    lane.reserved -= reserved;
    lane.waiting += received;
    lane.lastReceiveAtMs = now;
    if (received > 0 && lane.consuming) {
      if (!lane.busy) lane.granted = Math.max(lane.granted, this.#lowestBusyGranted(lane));
      lane.busy = true;
      lane.granted += received / lane.weight;
    } else if (received === 0 && reserved > 0) {
      lane.busy = false;
      lane.nextProbeAtMs = now + this.#probeMs;
    }
    this.#serve();
  }

  /** One waiting message of `queue` starts running. */
  start(queue: string): void {
    const lane = this.#lanes.get(queue);
    if (!lane) return;
    lane.waiting -= 1;
    lane.running += 1;
  }

  /** Gives back the slot of a message of `queue` that ran (it is done, or was handed back). */
  release(queue: string): void {
    const lane = this.#lanes.get(queue);
    if (!lane) return;
    lane.running -= 1;
    this.#serve();
  }

  /** Gives back the slot of a message of `queue` that waited and never started (it was handed back). */
  drop(queue: string): void {
    const lane = this.#lanes.get(queue);
    if (!lane) return;
    lane.waiting -= 1;
    this.#serve();
  }

  /** Stops granting: every waiting poller gets 0. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#mergeTimer);
    clearTimeout(this.#wakeTimer);
    for (const lane of this.#lanes.values()) this.#grant(lane, 0);
  }

  #total(what: 'held' | 'reserved' | 'running' | 'waiting'): number {
    let sum = 0;
    for (const lane of this.#lanes.values()) {
      sum += what === 'held' ? lane.running + lane.waiting : lane[what];
    }
    return sum;
  }

  #consuming(): number {
    let count = 0;
    for (const lane of this.#lanes.values()) if (lane.consuming) count++;
    return count;
  }

  #otherBusy(lane: Lane): boolean {
    for (const other of this.#lanes.values())
      if (other !== lane && other.consuming && other.busy) return true;
    return false;
  }

  /** The slots `lane` may reserve now; 0 when it must wait. */
  #want(lane: Lane, now: number): number {
    const otherBusy = !lane.busy && this.#otherBusy(lane);
    if (otherBusy && now < lane.nextProbeAtMs) {
      this.#wakeAt(lane.nextProbeAtMs);
      return 0;
    }
    const limit = lane.fifo ? this.#concurrency : this.#capacity;
    const room = limit - this.#total('held') - this.#total('reserved');
    const batch = Math.min(RECEIVE_BATCH, limit);
    // While every queue of several is idle, each long-polls at once for its weight's part of the room (at least
    // one message): the first to find messages is busy, and asks for full batches from then on.
    if (!lane.busy && !otherBusy && this.#consuming() > 1) {
      let weights = 0;
      for (const other of this.#lanes.values()) if (other.consuming) weights += other.weight;
      const part = Math.floor(((limit - this.#total('held')) * lane.weight) / weights);
      return Math.min(room, batch, Math.max(1, part));
    }
    if (room >= batch) return batch;
    if (room <= 0) return 0;
    if (lane.fifo) return room; // as many as may run now: a FIFO queue gains nothing from waiting
    // Fewer than a batch: worth a receive only when a slot would stay idle otherwise, and after the merge window.
    const idleSlot = this.#total('waiting') === 0 && this.running < this.#concurrency;
    if (!idleSlot || this.#total('reserved') > 0) {
      this.#mergeDue = false; // the window starts again the next time a slot would stay idle
      return 0;
    }
    if (this.#mergeDue) return room;
    this.#mergeTimer ??= setTimeout(() => {
      this.#mergeTimer = undefined;
      this.#mergeDue = true;
      this.#serve();
    }, this.#mergeMs);
    return 0;
  }

  #serve(): void {
    if (this.#closed) return;
    const now = this.#now();
    for (;;) {
      let best: Lane | undefined;
      let bestWant = 0;
      for (const lane of this.#lanes.values()) {
        if (!lane.waiter) continue;
        const want = this.#want(lane, now);
        if (want <= 0) continue;
        if (!best || this.#before(lane, want, best, bestWant)) {
          best = lane;
          bestWant = want;
        }
      }
      if (!best) return;
      best.reserved += bestWant;
      this.#mergeDue = false;
      this.#grant(best, bestWant);
    }
  }

  /**
   * Whether `a` receives (`wantA`) before `b` (`wantB`): idle queues (probes) first, the longest unpolled; then by
   * fair share, the queue whose count would be lowest once this receive is in (so a batch of 10 to a light queue
   * waits until the heavier ones have had their share of it).
   */
  #before(a: Lane, wantA: number, b: Lane, wantB: number): boolean {
    if (a.busy !== b.busy) return !a.busy;
    const [ka, kb] = a.busy
      ? [a.granted + wantA / a.weight, b.granted + wantB / b.weight]
      : [a.lastReceiveAtMs, b.lastReceiveAtMs];
    return ka < kb || (ka === kb && a.order < b.order);
  }

  #wakeAt(atMs: number): void {
    if (atMs >= this.#wakeAtMs) return;
    clearTimeout(this.#wakeTimer);
    this.#wakeAtMs = atMs;
    this.#wakeTimer = setTimeout(
      () => {
        this.#wakeTimer = undefined;
        this.#wakeAtMs = Number.POSITIVE_INFINITY;
        this.#serve();
      },
      Math.max(0, atMs - this.#now()),
    );
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
