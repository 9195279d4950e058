/** Celery's monitoring events and their sinks (docs/monitoring.md). */
export {
  type CeleryEvent,
  type EventEnvelope,
  type EventFields,
  EventType,
  isTaskEvent,
  type TaskSentFields,
  type WorkerFields,
} from './celery-event.js';
export { DEFAULT_EVENT_SOURCE, EventBusSink, type EventBusSinkOptions } from './event-bus-sink.js';
export {
  EventDispatcher,
  type EventDispatcherOptions,
  type EventSender,
  utcoffset,
} from './event-dispatcher.js';
export type { EventSink, SinkStats } from './event-sink.js';
export { EventSinkName, type EventsConfig, type ResolvedEventsConfig } from './events-config.js';
export { exceptionRepr } from './exception-repr.js';
export { MemorySink } from './memory-sink.js';
export { StdoutSink } from './stdout-sink.js';
