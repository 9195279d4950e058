/**
 * The `events` setting: which sinks get Celery's monitoring events, and the options that shape them. Explicit
 * options win over the environment variables the constructs set (`CELERIAC_EVENTS`, `CELERIAC_EVENT_BUS`,
 * `CELERIAC_TASK_SEND_SENT_EVENT`). With no sink nothing is emitted and nothing is built.
 */
import { ENV } from '../config/env.js';
import { ImproperlyConfigured } from '../errors.js';
import { LogFormat } from '../monitoring/json-log.js';
import type { EventSink } from './event-sink.js';

/** The sinks celeriac builds by name. */
export const EventSinkName = {
  /** JSON lines on stdout (CloudWatch Logs on Lambda). No AWS request. */
  STDOUT: 'stdout',
  /** An EventBridge bus, batched `PutEvents`. */
  EVENTBRIDGE: 'eventbridge',
} as const;
export type EventSinkName = (typeof EventSinkName)[keyof typeof EventSinkName];

/** Default seconds between `worker-heartbeat` events. */
export const DEFAULT_HEARTBEAT_SECONDS = 30;

/** Settings of the `events` option. */
export interface EventsConfig {
  /** Sinks by name, or sink objects of your own. Default: `CELERIAC_EVENTS` (comma-separated), else none. */
  readonly sinks?: readonly (EventSinkName | EventSink)[];
  /** EventBridge bus name or ARN for the `eventbridge` sink. Default: `CELERIAC_EVENT_BUS`, else `default`. */
  readonly eventBusName?: string;
  /** EventBridge `Source` of the entries. Default `celeriac`. */
  readonly source?: string;
  /** Send `task-sent` for every message (Celery's `task_send_sent_event`). Default: `CELERIAC_TASK_SEND_SENT_EVENT`, else false. */
  readonly taskSentEvent?: boolean;
  /**
   * Seconds between heartbeats: the `worker-heartbeat` event and the registry record. Default:
   * `CELERIAC_HEARTBEAT_SECONDS`, else {@link DEFAULT_HEARTBEAT_SECONDS}.
   */
  readonly heartbeatSeconds?: number;
  /** Most events waiting for the bus before the oldest is dropped. Default 1000. */
  readonly maxBufferedEvents?: number;
  /**
   * Write the task index's keys on result items (the indexes `ResultStore({ taskIndex: true })` creates), so
   * tasks can be listed by state, name and time. No extra request. Default: `CELERIAC_TASK_INDEX`, else false.
   */
  readonly taskIndex?: boolean;
  /**
   * Each worker and warm Lambda environment records itself at every heartbeat and reads control records
   * (`celeriac inspect`, `celeriac control`). Needs the task index on the table. Default: `taskIndex`.
   */
  readonly workerRegistry?: boolean;
  /**
   * The Lambda handler writes task counts, failures, retries, durations and queue waits as CloudWatch Embedded
   * Metric Format log lines: metrics with no API call. Default: `CELERIAC_EMF_METRICS`, else false.
   */
  readonly emfMetrics?: boolean;
  /** CloudWatch namespace of those metrics. Default `celeriac`. */
  readonly metricsNamespace?: string;
  /**
   * How the hosts write their log lines: `text` (one line each) or `json` (Powertools Logger's fields).
   * Default: `CELERIAC_LOG_FORMAT`, else `text`.
   */
  readonly logFormat?: LogFormat;
}

/** The `events` setting with defaults applied. */
export interface ResolvedEventsConfig {
  readonly sinks: readonly (EventSinkName | EventSink)[];
  readonly eventBusName: string;
  readonly source: string;
  readonly taskSentEvent: boolean;
  readonly heartbeatSeconds: number;
  readonly maxBufferedEvents: number;
  readonly taskIndex: boolean;
  readonly workerRegistry: boolean;
  readonly emfMetrics: boolean;
  readonly metricsNamespace: string;
  readonly logFormat: LogFormat;
}

const NAMES: readonly string[] = Object.values(EventSinkName);

function sinkNames(text: string | undefined): EventSinkName[] {
  if (!text) return [];
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!NAMES.includes(name)) {
      throw new ImproperlyConfigured(
        `${ENV.EVENTS} names an unknown event sink ${JSON.stringify(name)}; use ${NAMES.join(' and/or ')}, comma-separated`,
        { setting: 'events.sinks' },
      );
    }
  }
  return names as EventSinkName[];
}

function positive(setting: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new ImproperlyConfigured(`Expected \`events.${setting}\` to be a number > 0, got ${value}`, {
      setting: `events.${setting}`,
    });
  }
  return value;
}

function logFormatSetting(value: string | undefined): LogFormat {
  if (value === undefined) return LogFormat.TEXT;
  if (value === LogFormat.TEXT || value === LogFormat.JSON) return value;
  throw new ImproperlyConfigured(
    `Expected \`events.logFormat\` (${ENV.LOG_FORMAT}) to be 'text' or 'json', got ${JSON.stringify(value)}`,
    { setting: 'events.logFormat' },
  );
}

/**
 * Applies the environment and defaults to the `events` option.
 *
 * @example
 * resolveEventsConfig(undefined, { CELERIAC_EVENTS: 'stdout' }).sinks // ['stdout']
 */
export function resolveEventsConfig(
  config: EventsConfig | undefined,
  env: Readonly<Record<string, string | undefined>>,
): ResolvedEventsConfig {
  const sinks = config?.sinks ?? sinkNames(env[ENV.EVENTS]);
  for (const sink of sinks) {
    if (typeof sink === 'string' && !NAMES.includes(sink)) {
      throw new ImproperlyConfigured(
        `\`events.sinks\` names an unknown sink ${JSON.stringify(sink)}; use ${NAMES.join(' or ')}, or pass an EventSink`,
        { setting: 'events.sinks' },
      );
    }
  }
  const taskIndex = config?.taskIndex ?? (env[ENV.TASK_INDEX] ?? '').toLowerCase() === 'true';
  return {
    sinks,
    eventBusName: config?.eventBusName ?? (env[ENV.EVENT_BUS] || 'default'),
    source: config?.source ?? 'celeriac',
    taskSentEvent: config?.taskSentEvent ?? (env[ENV.TASK_SEND_SENT_EVENT] ?? '').toLowerCase() === 'true',
    heartbeatSeconds: positive(
      'heartbeatSeconds',
      config?.heartbeatSeconds ??
        (env[ENV.HEARTBEAT_SECONDS] ? Number(env[ENV.HEARTBEAT_SECONDS]) : undefined),
      DEFAULT_HEARTBEAT_SECONDS,
    ),
    maxBufferedEvents: positive('maxBufferedEvents', config?.maxBufferedEvents, 1000),
    taskIndex,
    workerRegistry: config?.workerRegistry ?? taskIndex,
    emfMetrics: config?.emfMetrics ?? (env[ENV.EMF_METRICS] ?? '').toLowerCase() === 'true',
    metricsNamespace: config?.metricsNamespace ?? 'celeriac',
    logFormat: logFormatSetting(config?.logFormat ?? (env[ENV.LOG_FORMAT] || undefined)),
  };
}
