/**
 * Where events go. A sink takes events synchronously and never throws at the caller: a task's run must not wait
 * on, or fail with, its monitoring. Sinks that send over the network buffer (bounded) and send on `flush`.
 */
import type { CeleryEvent } from './celery-event.js';

/** What a sink counts, for logs and tests. */
export interface SinkStats {
  /** Events handed to the sink. */
  readonly accepted: number;
  /** Events the sink delivered (or wrote). */
  readonly delivered: number;
  /** Events lost: the buffer was full, the destination refused them, or it was down. */
  readonly dropped: number;
}

/** A destination for events. */
export interface EventSink {
  /** Short name for logs: `stdout`, `eventbridge`, `memory`. */
  readonly name: string;
  /** Takes an event. Never throws, never waits. */
  emit(event: CeleryEvent): void;
  /** Sends what is buffered; resolves when done or after `timeoutMs`; never rejects. */
  flush(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Counters since the sink was created. */
  stats(): SinkStats;
}
