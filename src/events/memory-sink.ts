/** Keeps events in memory, in order: for tests, and for a host that reads its own events. */
import type { CeleryEvent } from './celery-event.js';
import type { EventSink, SinkStats } from './event-sink.js';

/** Collects every event it is given. */
export class MemorySink implements EventSink {
  readonly name = 'memory';
  readonly events: CeleryEvent[] = [];

  emit(event: CeleryEvent): void {
    this.events.push(event);
  }

  async flush(): Promise<void> {}

  /** The events about one task, in the order they were sent. */
  forTask(taskId: string): CeleryEvent[] {
    return this.events.filter((event) => (event as { uuid?: unknown }).uuid === taskId);
  }

  stats(): SinkStats {
    return { accepted: this.events.length, delivered: this.events.length, dropped: 0 };
  }
}
