/**
 * A small port of Celery's `EventDispatcher`: stamps each event with the sender's envelope (hostname, pid,
 * `utcoffset`, a Lamport `clock`, `timestamp`) and hands it to every sink. Sending never waits and never throws;
 * network sinks buffer and go out on {@link EventDispatcher.flush} (the Lambda handler flushes at the end of each
 * batch, `celeriac worker` every second). With no dispatcher configured nothing is built and the hooks are a
 * single `undefined` check.
 */
import { hostname as osHostname } from 'node:os';
import type { Clock } from '../ports/clock.js';
import type { CeleryEvent, EventFields, EventType } from './celery-event.js';
import type { EventSink, SinkStats } from './event-sink.js';

/** Who sends an event: a worker names itself, a producer uses the app's `origin`. */
export interface EventSender {
  readonly hostname: string;
  readonly pid: number;
}

/** What {@link EventDispatcher} needs. */
export interface EventDispatcherOptions {
  readonly sinks: readonly EventSink[];
  readonly clock: Clock;
  /** The default sender. Default `gen<pid>@<hostname>`, as Celery names a producer. */
  readonly sender?: EventSender;
  /** Send `task-sent` for every message sent (Celery's `task_send_sent_event`). Default false. */
  readonly taskSentEvent?: boolean;
}

/**
 * Celery's `utcoffset()`: hours west of UTC, rounded down (`time.timezone // 3600`).
 *
 * @example
 * utcoffset(new Date('2026-01-01T00:00:00Z')) // 0 with TZ=UTC, -1 with TZ=Europe/Paris
 */
export function utcoffset(at: Date = new Date()): number {
  return Math.floor(at.getTimezoneOffset() / 60);
}

/** Stamps and fans out events. */
export class EventDispatcher {
  readonly sinks: readonly EventSink[];
  /** Whether producers send `task-sent`. */
  readonly taskSentEvent: boolean;
  readonly #clock: Clock;
  readonly #sender: EventSender;
  #lamport = 0;

  constructor(options: EventDispatcherOptions) {
    this.sinks = options.sinks;
    this.taskSentEvent = options.taskSentEvent ?? false;
    this.#clock = options.clock;
    this.#sender = options.sender ?? { hostname: `gen${process.pid}@${osHostname()}`, pid: process.pid };
  }

  /**
   * Sends one event to every sink, stamped for `sender` (default: the dispatcher's). Never throws.
   *
   * @example
   * dispatcher.send('task-started', { uuid: taskId }, identity);
   */
  send<T extends EventType>(
    type: T,
    fields: EventFields[T],
    sender: EventSender = this.#sender,
  ): CeleryEvent<T> {
    const nowMs = this.#clock.now();
    this.#lamport += 1;
    const event = {
      hostname: sender.hostname,
      utcoffset: utcoffset(new Date(nowMs)),
      pid: sender.pid,
      clock: this.#lamport,
      ...fields,
      timestamp: nowMs / 1000,
      type,
      // A spread of generic fields does not narrow to the mapped type; `timestamp` and `type` are set last, so they win.
    } as unknown as CeleryEvent<T>;
    for (const sink of this.sinks) {
      try {
        sink.emit(event);
      } catch {
        // A sink's bug must not reach the task; sinks count their own losses.
      }
    }
    return event;
  }

  /** Flushes every sink at once; resolves within `timeoutMs` (when given) and never rejects. */
  async flush(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    // Through a promise, so a sink whose flush throws, or returns no promise, is caught as one that rejects.
    await Promise.all(
      this.sinks.map((sink) =>
        Promise.resolve()
          .then(() => sink.flush(options))
          .catch(() => undefined),
      ),
    );
  }

  /** Each sink's counters, by sink name. */
  stats(): Record<string, SinkStats> {
    return Object.fromEntries(this.sinks.map((sink) => [sink.name, sink.stats()]));
  }
}
