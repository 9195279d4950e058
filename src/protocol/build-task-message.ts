/**
 * Building a protocol v2 task message from a call, field for field as Celery 5.6 does (`AMQP.as_task_v2`, kombu's
 * `Producer.publish` and virtual-transport `prepare_message`).
 */
import { formatPythonDateTime } from './iso-time.js';
import { argsRepr, kwargsRepr } from './python-repr.js';
import type { SignatureDict } from './signature.js';
import type { TaskHeaders, TaskMessage, TaskProperties } from './task-message-types.js';

/** What {@link buildTaskMessage} needs: the call, in the producer's terms. */
export interface TaskMessageInput {
  readonly taskId: string;
  readonly name: string;
  /** Celery queue name; kombu puts it in `delivery_info.routing_key`. */
  readonly queue: string;
  readonly args?: readonly unknown[];
  readonly kwargs?: Readonly<Record<string, unknown>>;
  readonly eta?: Date | null;
  readonly expires?: Date | null;
  /** Send time, for the `expiration` property; defaults to now. */
  readonly now?: Date;
  readonly group?: string | null;
  readonly groupIndex?: number | null;
  readonly retries?: number;
  readonly timeLimitSeconds?: number | null;
  readonly softTimeLimitSeconds?: number | null;
  readonly rootId?: string | null;
  readonly parentId?: string | null;
  readonly shadow?: string | null;
  readonly callbacks?: SignatureDict[] | null;
  readonly errbacks?: SignatureDict[] | null;
  readonly chain?: SignatureDict[] | null;
  readonly chord?: SignatureDict | null;
  /** Sender node name, `gen<pid>@<hostname>`. */
  readonly origin: string;
  readonly ignoreResult?: boolean;
  readonly replacedTaskNesting?: number;
  readonly stamps?: Readonly<Record<string, unknown>>;
  /** Custom headers, appended after Celery's own. */
  readonly headers?: Readonly<Record<string, unknown>>;
  /** Extra properties placed where Celery puts unrecognised `apply_async` options (e.g. `MessageGroupId`). */
  readonly extraProperties?: Readonly<Record<string, unknown>>;
  readonly replyTo?: string;
  readonly priority?: number;
  readonly deliveryTag?: string;
  readonly lang?: string;
}

/** Builds the v2 message Celery 5.6 would send for the same call. */
export function buildTaskMessage(input: TaskMessageInput): TaskMessage {
  const args = [...(input.args ?? [])];
  const kwargs = { ...(input.kwargs ?? {}) };
  const stamps = { ...(input.stamps ?? {}) };
  const stampNames = Object.keys(stamps);
  const headers: TaskHeaders = {
    lang: input.lang ?? 'py',
    task: input.name,
    id: input.taskId,
    shadow: input.shadow ?? null,
    eta: input.eta ? formatPythonDateTime(input.eta) : null,
    expires: input.expires ? formatPythonDateTime(input.expires) : null,
    group: input.group ?? null,
    group_index: input.groupIndex ?? null,
    retries: input.retries ?? 0,
    timelimit: [input.timeLimitSeconds ?? null, input.softTimeLimitSeconds ?? null],
    root_id: input.rootId ?? input.taskId,
    parent_id: input.parentId ?? null,
    argsrepr: argsRepr(args),
    kwargsrepr: kwargsRepr(kwargs),
    origin: input.origin,
    ignore_result: input.ignoreResult ?? false,
    replaced_task_nesting: input.replacedTaskNesting ?? 0,
    stamped_headers: stampNames.length > 0 ? stampNames : null,
    stamps,
    ...(input.headers ?? {}),
  };
  const properties: TaskProperties = {
    correlation_id: input.taskId,
    reply_to: input.replyTo ?? globalThis.crypto.randomUUID(),
    ...(input.extraProperties ?? {}),
    delivery_mode: 2,
  };
  if (input.expires) {
    const now = input.now ?? new Date();
    properties.expiration = String(Math.max(0, input.expires.getTime() - now.getTime()));
  }
  properties.delivery_info = { exchange: '', routing_key: input.queue };
  properties.priority = input.priority ?? 0;
  properties.body_encoding = 'base64';
  properties.delivery_tag = input.deliveryTag ?? globalThis.crypto.randomUUID();
  return {
    protocol: 2,
    headers,
    properties,
    args,
    kwargs,
    embed: {
      callbacks: input.callbacks ?? null,
      errbacks: input.errbacks ?? null,
      chain: input.chain ?? null,
      chord: input.chord ?? null,
    },
  };
}
