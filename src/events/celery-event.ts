/**
 * Celery's monitoring events, with Celery's type names and fields (`celery/events/dispatcher.py`,
 * `celery/worker/request.py`, `celery/worker/strategy.py`, `celery/worker/heartbeat.py`, `celery/app/amqp.py`).
 * An event is a flat JSON object: the envelope every dispatcher adds (`type`, `hostname`, `utcoffset`, `pid`,
 * `clock`, `timestamp`) and the fields of its type. Task events carry `uuid`.
 */

/** The event types celeriac emits, by Celery's names. */
export const EventType = {
  TASK_SENT: 'task-sent',
  TASK_RECEIVED: 'task-received',
  TASK_STARTED: 'task-started',
  TASK_SUCCEEDED: 'task-succeeded',
  TASK_FAILED: 'task-failed',
  TASK_RETRIED: 'task-retried',
  TASK_REVOKED: 'task-revoked',
  TASK_REJECTED: 'task-rejected',
  WORKER_ONLINE: 'worker-online',
  WORKER_HEARTBEAT: 'worker-heartbeat',
  WORKER_OFFLINE: 'worker-offline',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** What every event carries (Celery's `Event()` plus `EventDispatcher.publish`). */
export interface EventEnvelope {
  /** The event type, e.g. `task-succeeded`. */
  type: EventType;
  /** Node name of the sender: `celeriac@host` for a worker, `gen<pid>@host` for a producer. */
  hostname: string;
  /** Hours west of UTC, as Python's `time.timezone // 3600` (Celery's `utcoffset()`). */
  utcoffset: number;
  /** Process id of the sender. */
  pid: number;
  /** The sender's Lamport clock, incremented per event. */
  clock: number;
  /** Seconds since the epoch, with a fraction (Python's `time.time()`). */
  timestamp: number;
}

/** `task-sent` (opt-in, Celery's `task_send_sent_event`) and `task-received`. */
export interface TaskSentFields {
  /** Task id. */
  uuid: string;
  /** Task name. */
  name: string;
  /** `saferepr` of the positional arguments (the `argsrepr` header). */
  args: string;
  /** `saferepr` of the keyword arguments (the `kwargsrepr` header). */
  kwargs: string;
  /** Id of the workflow's first task. */
  root_id: string | null;
  /** Id of the task that sent this one. */
  parent_id: string | null;
  /** How many times the task was retried. */
  retries: number;
  /** ISO-8601 ETA, or null. */
  eta: string | null;
  /** ISO-8601 expiry, or null. */
  expires: string | null;
}

/** `task-sent` also names where the message went. */
export interface TaskSentRouting {
  /** Celery queue name. */
  queue: string;
  /** Exchange name; `''` on SQS. */
  exchange: string;
  /** Routing key: the queue name on SQS. */
  routing_key: string;
}

/** Fields of each event type, besides the envelope. */
export interface EventFields {
  'task-sent': TaskSentFields & TaskSentRouting;
  'task-received': TaskSentFields;
  'task-started': { uuid: string };
  /** `result` is `saferepr` of the return value; `runtime` seconds the function ran. */
  'task-succeeded': { uuid: string; result: string; runtime: number };
  /** `exception` is the error's Python repr, e.g. `ValueError('boom')`. */
  'task-failed': { uuid: string; exception: string; traceback: string | null };
  'task-retried': { uuid: string; exception: string; traceback: string | null };
  /** `signum` is the signal's number as text when terminated, else null. */
  'task-revoked': { uuid: string; terminated: boolean; signum: string | null; expired: boolean };
  'task-rejected': { uuid: string; requeue: boolean };
  'worker-online': WorkerFields;
  'worker-heartbeat': WorkerFields;
  'worker-offline': WorkerFields;
}

/** The fields of worker events (Celery's `Heart._send` with `SOFTWARE_INFO`). */
export interface WorkerFields {
  /** Seconds between heartbeats. */
  freq: number;
  /** Tasks running now. */
  active: number;
  /** Tasks processed since the worker started. */
  processed: number;
  /** 1, 5 and 15 minute load averages. */
  loadavg: [number, number, number];
  /** Software identity: `celeriac` (Python workers send `py-celery`). */
  sw_ident: string;
  /** Software version. */
  sw_ver: string;
  /** Operating system, as Python's `platform.system()` names it (`Linux`, `Darwin`, `Windows`). */
  sw_sys: string;
}

/** One event of type `T`, as it goes to every sink. */
export type CeleryEvent<T extends EventType = EventType> = EventEnvelope & { type: T } & EventFields[T];

/** Whether an event is a task event (it carries a `uuid`). */
export function isTaskEvent(event: CeleryEvent): event is CeleryEvent & { uuid: string } {
  return event.type.startsWith('task-');
}
