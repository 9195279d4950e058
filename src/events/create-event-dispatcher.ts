/**
 * Builds the dispatcher an app's runtime holds, from the resolved `events` setting: `undefined` when no sink is
 * configured, so every hook costs one `undefined` check and nothing else.
 */
import { ImproperlyConfigured } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { EventBus } from '../ports/event-bus.js';
import { EventBusSink } from './event-bus-sink.js';
import { EventDispatcher, type EventSender } from './event-dispatcher.js';
import type { EventSink } from './event-sink.js';
import { EventSinkName, type ResolvedEventsConfig } from './events-config.js';
import { StdoutSink } from './stdout-sink.js';

/** How often a sink's losses are reported at most. */
export const DROP_REPORT_INTERVAL_MS = 60_000;

/** What {@link createEventDispatcher} needs besides the setting. */
export interface EventDispatcherDeps {
  readonly clock: Clock;
  readonly sender: EventSender;
  /** The bus adapter, for the `eventbridge` sink (the AWS transport has one). */
  readonly eventBus?: EventBus | undefined;
  /** Where losses are reported, at most once a minute per sink. Default `console.warn`. */
  readonly warn?: (line: string) => void;
}

/** A loss reporter that says the first loss at once, then at most once per interval, with the running total. */
function dropReporter(sink: string, clock: Clock, warn: (line: string) => void) {
  let total = 0;
  let lastMs: number | undefined;
  return (count: number, reason: string): void => {
    total += count;
    const now = clock.now();
    if (lastMs !== undefined && now - lastMs < DROP_REPORT_INTERVAL_MS) return;
    lastMs = now;
    warn(`events: ${sink} sink dropped ${total} event(s) so far; latest: ${reason}`);
  };
}

/**
 * The dispatcher for `config`, or `undefined` when it names no sink.
 *
 * @throws {ImproperlyConfigured} when the `eventbridge` sink is asked for and the transport has no bus.
 */
export function createEventDispatcher(
  config: ResolvedEventsConfig,
  deps: EventDispatcherDeps,
): EventDispatcher | undefined {
  if (config.sinks.length === 0) return undefined;
  const warn = deps.warn ?? ((line: string) => console.warn(line));
  const sinks = config.sinks.map((sink): EventSink => {
    if (typeof sink !== 'string') return sink;
    if (sink === EventSinkName.STDOUT) return new StdoutSink();
    if (!deps.eventBus) {
      throw new ImproperlyConfigured(
        'The `eventbridge` event sink needs an event bus: createApp() builds one on AWS; with another ' +
          'transport, set `transport.eventBus` or pass an EventSink of your own in `events.sinks`',
        { setting: 'events.sinks' },
      );
    }
    return new EventBusSink({
      bus: deps.eventBus,
      source: config.source,
      maxBuffered: config.maxBufferedEvents,
      onDrop: dropReporter('eventbridge', deps.clock, warn),
    });
  });
  return new EventDispatcher({
    sinks,
    clock: deps.clock,
    sender: deps.sender,
    taskSentEvent: config.taskSentEvent,
  });
}
