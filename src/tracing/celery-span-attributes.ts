/**
 * Span names and attributes as `opentelemetry-instrumentation-celery` sets them (its `__init__.py` and
 * `utils.set_attributes_from_context`), so celeriac's spans read like Python Celery's in one trace.
 */
import { valueRepr } from '../protocol/python-repr.js';

/** Span attributes, in the OpenTelemetry API's value types. */
export type SpanAttributes = Record<string, string | number | boolean | string[] | number[]>;

/** `celery.action`: `apply_async` on the producer's span, `run` on the worker's. */
export const CELERY_ACTION = 'celery.action';
/** `celery.task_name`: the task's registered name. */
export const CELERY_TASK_NAME = 'celery.task_name';
/** `celery.state`: the state the run ended in (`SUCCESS`, `FAILURE`, `RETRY`, ...). */
export const CELERY_STATE = 'celery.state';
/** `celery.retry.reason`: why the task asked to be retried. */
export const CELERY_RETRY_REASON = 'celery.retry.reason';
/** `messaging.message.id`: the task id. */
export const MESSAGING_MESSAGE_ID = 'messaging.message.id';
/** `messaging.conversation_id`: the message's `correlation_id` (the task id again). */
export const MESSAGING_CONVERSATION_ID = 'messaging.conversation_id';
/** `messaging.destination`: the routing key, which on SQS is the queue name. */
export const MESSAGING_DESTINATION = 'messaging.destination';
/** `messaging.destination_kind`: `queue` for Celery's direct exchange. */
export const MESSAGING_DESTINATION_KIND = 'messaging.destination_kind';

/** The producer's span name, `apply_async/<task>`. */
export function sendSpanName(taskName: string): string {
  return `apply_async/${taskName}`;
}

/** The worker's span name, `run/<task>`. */
export function runSpanName(taskName: string): string {
  return `run/${taskName}`;
}

/**
 * The producer span's attributes: Python sets the action, the id and the name, then reads `exchange` (empty on
 * SQS, so skipped), `routing_key` and `declare` (`[queue]` on a direct exchange) from `before_task_publish`.
 */
export function sendAttributes(send: { taskId: string; name: string; queue: string }): SpanAttributes {
  return {
    [CELERY_ACTION]: 'apply_async',
    [MESSAGING_MESSAGE_ID]: send.taskId,
    [CELERY_TASK_NAME]: send.name,
    [MESSAGING_DESTINATION]: send.queue,
    [MESSAGING_DESTINATION_KIND]: 'queue',
  };
}

/** The message fields the run span's attributes come from. */
export interface RunAttributeSource {
  readonly headers: Readonly<Record<string, unknown>>;
  readonly properties: {
    readonly correlation_id?: string;
    readonly reply_to?: string;
    readonly priority?: number;
    readonly delivery_info?: { readonly exchange?: string };
  };
}

/**
 * `celery.delivery_info`: Python's `str()` of the request's `delivery_info`, which Celery's worker builds with
 * four keys whatever the transport (kombu's virtual transports say `redelivered: False`).
 */
function deliveryInfo(message: RunAttributeSource, queue: string): string {
  return valueRepr({
    exchange: message.properties.delivery_info?.exchange ?? '',
    routing_key: queue,
    priority: message.properties.priority ?? null,
    redelivered: false,
  });
}

function timelimitValue(value: unknown): string[] | number[] | undefined {
  if (!Array.isArray(value) || value.every((limit) => limit === null || limit === undefined))
    return undefined;
  if (value.some((limit) => limit === null || limit === undefined)) {
    return value.map((limit) => (limit === null || limit === undefined ? '' : String(limit)));
  }
  return value.filter((limit): limit is number => typeof limit === 'number');
}

/**
 * The worker span's attributes from the task's request, in the order Python reads them: `correlation_id`,
 * `delivery_info` (and its routing key as `messaging.destination`), `eta`, `expires`, `id`, `reply_to`, `retries`
 * (when not 0), `timelimit` (when set) and `origin` (as `celery.hostname`), skipping empty values.
 */
export function runAttributes(message: RunAttributeSource, queue: string): SpanAttributes {
  const { headers, properties } = message;
  const attributes: SpanAttributes = {};
  const set = (name: string, value: unknown): void => {
    if (value === null || value === undefined || value === '') return;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      attributes[name] = value;
    }
  };
  set(MESSAGING_CONVERSATION_ID, properties.correlation_id);
  set(MESSAGING_DESTINATION, queue);
  set('celery.delivery_info', deliveryInfo(message, queue));
  set('celery.eta', headers.eta);
  set('celery.expires', headers.expires);
  set(MESSAGING_MESSAGE_ID, headers.id);
  set('celery.reply_to', properties.reply_to);
  if (headers.retries !== 0) set('celery.retries', headers.retries);
  const timelimit = timelimitValue(headers.timelimit);
  if (timelimit) attributes['celery.timelimit'] = timelimit;
  set('celery.hostname', headers.origin);
  set(CELERY_ACTION, 'run');
  set(CELERY_TASK_NAME, headers.task);
  return attributes;
}
