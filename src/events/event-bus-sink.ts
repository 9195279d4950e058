/**
 * Events to an event bus (EventBridge), batched: entries wait in a bounded buffer and go out in `PutEvents` calls
 * of at most 10 entries and 256 KiB, on `flush()` and as soon as 10 are waiting. One call is in flight at a time.
 *
 * A bus that is down or throttling never reaches a task: `emit` only appends (dropping the oldest entry when the
 * buffer is full), a failed call drops its entries, and `flush` gives up waiting after its `timeoutMs`. Every loss
 * is counted in `stats().dropped` and reported through `onDrop`, which the dispatcher's owner rate-limits.
 */
import {
  EVENT_BUS_MAX_BATCH_BYTES,
  EVENT_BUS_MAX_ENTRIES,
  type EventBus,
  type EventBusEntry,
  eventBusEntryBytes,
} from '../ports/event-bus.js';
import type { CeleryEvent } from './celery-event.js';
import type { EventSink, SinkStats } from './event-sink.js';

/** Default EventBridge `Source` of celeriac's events. */
export const DEFAULT_EVENT_SOURCE = 'celeriac';
/** Default most events waiting for the bus. */
export const DEFAULT_MAX_BUFFERED_EVENTS = 1000;

/** Options for {@link EventBusSink}. */
export interface EventBusSinkOptions {
  readonly bus: EventBus;
  /** EventBridge `Source`. Default {@link DEFAULT_EVENT_SOURCE}. */
  readonly source?: string;
  /** Most events waiting; past it the oldest is dropped. Default {@link DEFAULT_MAX_BUFFERED_EVENTS}. */
  readonly maxBuffered?: number;
  /** Told of each loss: how many events, and why. */
  readonly onDrop?: (count: number, reason: string) => void;
}

/** Batches events onto a bus. */
export class EventBusSink implements EventSink {
  readonly name = 'eventbridge';
  readonly #bus: EventBus;
  readonly #source: string;
  readonly #maxBuffered: number;
  readonly #onDrop: (count: number, reason: string) => void;
  #buffer: EventBusEntry[] = [];
  #sending: Promise<void> | undefined;
  #accepted = 0;
  #delivered = 0;
  #dropped = 0;
  /** Calls made to the bus, for the cost measurements. */
  calls = 0;

  constructor(options: EventBusSinkOptions) {
    this.#bus = options.bus;
    this.#source = options.source ?? DEFAULT_EVENT_SOURCE;
    this.#maxBuffered = Math.max(1, options.maxBuffered ?? DEFAULT_MAX_BUFFERED_EVENTS);
    this.#onDrop = options.onDrop ?? (() => undefined);
  }

  emit(event: CeleryEvent): void {
    this.#accepted += 1;
    const entry: EventBusEntry = {
      source: this.#source,
      detailType: event.type,
      detail: JSON.stringify(event),
      time: new Date(event.timestamp * 1000),
    };
    if (eventBusEntryBytes(entry) > EVENT_BUS_MAX_BATCH_BYTES) {
      this.#drop(1, `a ${event.type} event is larger than ${EVENT_BUS_MAX_BATCH_BYTES} bytes`);
      return;
    }
    if (this.#buffer.length >= this.#maxBuffered) {
      this.#buffer.shift();
      this.#drop(1, `more than ${this.#maxBuffered} events waiting for the bus`);
    }
    this.#buffer.push(entry);
    if (this.#buffer.length >= EVENT_BUS_MAX_ENTRIES && this.#sending === undefined) void this.#drain();
  }

  async flush(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    const drained = (async () => {
      // Entries that arrive while a batch is in flight are sent by the same loop, or by the next one here.
      while (this.#sending !== undefined || this.#buffer.length > 0) await (this.#sending ?? this.#drain());
    })();
    if (options.timeoutMs === undefined) return drained;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.timeoutMs);
      timer.unref?.();
    });
    await Promise.race([drained, timeout]);
    clearTimeout(timer);
  }

  stats(): SinkStats {
    return { accepted: this.#accepted, delivered: this.#delivered, dropped: this.#dropped };
  }

  #drop(count: number, reason: string): void {
    this.#dropped += count;
    try {
      this.#onDrop(count, reason);
    } catch {
      // Reporting a loss must not become one.
    }
  }

  /** The next batch: up to 10 entries within 256 KiB, taken off the buffer. */
  #takeBatch(): EventBusEntry[] {
    const batch: EventBusEntry[] = [];
    let bytes = 0;
    while (batch.length < EVENT_BUS_MAX_ENTRIES) {
      const next = this.#buffer[0];
      if (next === undefined) break;
      const size = eventBusEntryBytes(next);
      if (batch.length > 0 && bytes + size > EVENT_BUS_MAX_BATCH_BYTES) break;
      this.#buffer.shift();
      batch.push(next);
      bytes += size;
    }
    return batch;
  }

  /** Sends batches until the buffer is empty; the one loop in flight. */
  #drain(): Promise<void> {
    this.#sending = (async () => {
      try {
        for (let batch = this.#takeBatch(); batch.length > 0; batch = this.#takeBatch()) {
          this.calls += 1;
          try {
            const { failedCount } = await this.#bus.put(batch);
            this.#delivered += batch.length - failedCount;
            if (failedCount > 0) this.#drop(failedCount, `the bus refused ${failedCount} event(s)`);
          } catch (error) {
            this.#drop(batch.length, error instanceof Error ? error.message : String(error));
          }
        }
      } finally {
        this.#sending = undefined;
      }
    })();
    return this.#sending;
  }
}
