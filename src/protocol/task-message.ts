/**
 * Celery task messages: protocol v2 encoding byte-compatible with Celery 5.6 (`celery/app/amqp.py`
 * `AMQP.as_task_v2`, kombu's `Producer.publish` and virtual-transport `prepare_message`), and decoding of v2,
 * v1 (`task_protocol=1`), v1 bodies behind v2 headers ("hybrid"), and bare v1 JSON without an envelope.
 */
import {
  base64Encode,
  decodeSqsMessageBody,
  encodeSqsMessageBody,
  envelopeBodyText,
  JSON_CONTENT_TYPE,
  type KombuEnvelope,
} from './envelope.js';
import { DecodeError, InvalidTaskError } from './errors.js';
import { formatPythonDateTime } from './iso-time.js';
import { argsRepr, kwargsRepr } from './python-repr.js';
import { normaliseSignature, type SignatureDict } from './signature.js';
import { fromTaggedJson, kombuJsonDumps, kombuJsonLoads } from './type-tags.js';

/** Protocol v2 headers, in the order Celery 5.6 writes them. */
export interface TaskHeaders {
  /** Language of the producer. celeriac writes `py` too: Celery workers read it as "a standard Celery message", and the bytes then match what Python sends. */
  lang: string;
  /** Registered task name. */
  task: string;
  /** Task id. */
  id: string;
  /** Alias used for logs and monitoring instead of `task`. */
  shadow: string | null;
  /** Earliest execution time, ISO-8601 with offset. */
  eta: string | null;
  /** Expiry time, ISO-8601 with offset; a task received after it is revoked. */
  expires: string | null;
  /** Id of the group this task belongs to. */
  group: string | null;
  /** Position within the group. */
  group_index: number | null;
  /** How many times this task has been retried. */
  retries: number;
  /** `[hard, soft]` time limits in seconds (Celery's actual order, not the protocol page's). */
  timelimit: [number | null, number | null];
  /** Id of the workflow's first task; equals `id` for a top-level send. */
  root_id: string | null;
  /** Id of the task that sent this one. */
  parent_id: string | null;
  /** `saferepr` of the positional arguments, for logs. */
  argsrepr: string;
  /** `saferepr` of the keyword arguments, for logs. */
  kwargsrepr: string;
  /** Sender node name, `gen<pid>@<hostname>`. */
  origin: string;
  /** When true the worker stores no result. */
  ignore_result: boolean;
  /** How many times the task was replaced (`Task.replace`). */
  replaced_task_nesting: number;
  /** Names of the stamps in {@link TaskHeaders.stamps}. */
  stamped_headers: string[] | null;
  /** Stamp values by name. */
  stamps: Record<string, unknown>;
  /** Custom headers from `applyAsync({ headers })`, and `compression` when the body is compressed. */
  [custom: string]: unknown;
}

/** Envelope properties, in the order kombu writes them. */
export interface TaskProperties {
  /** Equals the task id. */
  correlation_id?: string;
  /** Reply queue id; unused on SQS. */
  reply_to?: string;
  /** AMQP delivery mode; `2` (persistent). */
  delivery_mode?: number;
  /** Milliseconds until expiry, as a string, when `expires` is set. */
  expiration?: string;
  /** `{exchange, routing_key}`; `routing_key` is the Celery queue name. */
  delivery_info?: { exchange?: string; routing_key?: string; [key: string]: unknown };
  /** Message priority; SQS ignores it. */
  priority?: number;
  /** How `body` is encoded in the envelope: `base64` or `utf-8`. */
  body_encoding?: string;
  /** Publisher's tag; replaced by the SQS receipt handle on receive. */
  delivery_tag?: string;
  [key: string]: unknown;
}

/** The third element of a v2 body: what to do after the task. */
export interface TaskEmbed {
  /** `link` signatures, called with the result on success. */
  callbacks: SignatureDict[] | null;
  /** `link_error` signatures, called on failure. */
  errbacks: SignatureDict[] | null;
  /** Remaining chain steps, last step to run first (the next one is the last element). */
  chain: SignatureDict[] | null;
  /** Chord body to call when this task is the last of its chord header to finish. */
  chord: SignatureDict | null;
}

/** A decoded task message in protocol v2 terms, whatever the producer sent. */
export interface TaskMessage {
  /** Which protocol the producer used. */
  readonly protocol: 1 | 2;
  readonly headers: TaskHeaders;
  readonly properties: TaskProperties;
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown>;
  readonly embed: TaskEmbed;
}

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

/** Serializes the `[args, kwargs, embed]` body as kombu's JSON. */
export function serializeTaskBody(message: Pick<TaskMessage, 'args' | 'kwargs' | 'embed'>): string {
  const { callbacks, errbacks, chain, chord } = message.embed;
  return kombuJsonDumps([message.args, message.kwargs, { callbacks, errbacks, chain, chord }]);
}

/** The kombu envelope of a v2 message. */
export function toEnvelope(message: TaskMessage): KombuEnvelope {
  return {
    body: base64Encode(serializeTaskBody(message)),
    'content-encoding': 'utf-8',
    'content-type': JSON_CONTENT_TYPE,
    headers: message.headers,
    properties: message.properties,
  };
}

/**
 * Encodes a v2 message as an SQS `MessageBody` exactly as kombu's SQS transport does (double base64).
 *
 * @example
 * const body = encodeTaskMessage(buildTaskMessage({ taskId, name: 'tasks.add', args: [2, 3], queue: 'celery', origin }));
 */
export function encodeTaskMessage(message: TaskMessage, options: { base64?: boolean } = {}): string {
  return encodeSqsMessageBody(toEnvelope(message), options);
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

type Fields = Record<string, unknown>;

function str(fields: Fields, key: string, taskId: string | undefined): string | null {
  const value = fields[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    throw new InvalidTaskError(`Header \`${key}\` must be a string or null, got ${JSON.stringify(value)}`, {
      taskId,
    });
  }
  return value;
}

function int(
  fields: Fields,
  key: string,
  fallback: number | null,
  taskId: string | undefined,
): number | null {
  const value = fields[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new InvalidTaskError(`Header \`${key}\` must be an integer, got ${JSON.stringify(value)}`, {
      taskId,
    });
  }
  return value;
}

function timelimit(value: unknown, taskId: string | undefined): [number | null, number | null] {
  if (value === undefined || value === null) return [null, null];
  const ok = (v: unknown): v is number | null =>
    v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0);
  if (Array.isArray(value) && value.length === 2 && ok(value[0]) && ok(value[1])) return [value[0], value[1]];
  throw new InvalidTaskError(
    `Header \`timelimit\` must be [hard, soft] seconds or nulls, got ${JSON.stringify(value)}`,
    {
      taskId,
    },
  );
}

function required(fields: Fields, key: 'task' | 'id', taskId: string | undefined): string {
  const value = fields[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidTaskError(
      `Message has no \`${key}\` ${key === 'task' ? '(task name)' : '(task id)'}: got ${JSON.stringify(value ?? null)}`,
      { taskId },
    );
  }
  return value;
}

function signatures(value: unknown, key: string, taskId: string): SignatureDict[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value))
    throw new InvalidTaskError(`\`${key}\` must be a list of signatures`, { taskId });
  return value.map((item, index) => {
    const signature = normaliseSignature(item);
    if (!signature)
      throw new InvalidTaskError(`\`${key}[${index}]\` is not a signature (it has no \`task\`)`, { taskId });
    return signature;
  });
}

function embedFrom(raw: unknown, taskId: string): TaskEmbed {
  if (raw === undefined || raw === null) return { callbacks: null, errbacks: null, chain: null, chord: null };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidTaskError(
      `The third body element (embed) must be an object or null, got ${JSON.stringify(raw)}`,
      {
        taskId,
      },
    );
  }
  const embed = raw as Fields;
  const chord = embed.chord === undefined || embed.chord === null ? null : normaliseSignature(embed.chord);
  if (chord === undefined) throw new InvalidTaskError('`chord` is not a signature', { taskId });
  return {
    callbacks: signatures(embed.callbacks, 'callbacks', taskId),
    errbacks: signatures(embed.errbacks, 'errbacks', taskId),
    chain: signatures(embed.chain, 'chain', taskId),
    chord,
  };
}

function argsKwargs(args: unknown, kwargs: unknown, taskId: string): [unknown[], Record<string, unknown>] {
  if (!Array.isArray(args)) {
    throw new InvalidTaskError(`Task positional arguments must be a list, got ${JSON.stringify(args)}`, {
      taskId,
    });
  }
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
    throw new InvalidTaskError(`Task keyword arguments must be a mapping, got ${JSON.stringify(kwargs)}`, {
      taskId,
    });
  }
  return [args, kwargs as Record<string, unknown>];
}

function headersFrom(fields: Fields, args: unknown[], kwargs: Record<string, unknown>): TaskHeaders {
  const id = required(fields, 'id', undefined);
  const task = required(fields, 'task', id);
  const stamps = fields.stamps;
  const stamped = fields.stamped_headers;
  return {
    ...fields,
    lang: typeof fields.lang === 'string' ? fields.lang : 'py',
    task,
    id,
    shadow: str(fields, 'shadow', id),
    eta: str(fields, 'eta', id),
    expires: str(fields, 'expires', id),
    group: str(fields, 'group', id),
    group_index: int(fields, 'group_index', null, id),
    retries: int(fields, 'retries', 0, id) ?? 0,
    timelimit: timelimit(fields.timelimit, id),
    root_id: str(fields, 'root_id', id),
    parent_id: str(fields, 'parent_id', id),
    argsrepr: typeof fields.argsrepr === 'string' ? fields.argsrepr : argsRepr(args),
    kwargsrepr: typeof fields.kwargsrepr === 'string' ? fields.kwargsrepr : kwargsRepr(kwargs),
    origin: typeof fields.origin === 'string' ? fields.origin : '',
    ignore_result: fields.ignore_result === true,
    replaced_task_nesting: int(fields, 'replaced_task_nesting', 0, id) ?? 0,
    stamped_headers: Array.isArray(stamped)
      ? stamped.filter((s): s is string => typeof s === 'string')
      : null,
    stamps: typeof stamps === 'object' && stamps !== null && !Array.isArray(stamps) ? (stamps as Fields) : {},
  };
}

/** A v1 body (`task_protocol=1`, or a bare JSON task from another producer) in v2 terms. */
function fromV1Body(
  body: Fields,
  envelopeHeaders: Fields,
  properties: TaskProperties,
  hybrid: boolean,
): TaskMessage {
  const provisionalId = typeof body.id === 'string' ? body.id : undefined;
  const rawArgs = body.args ?? [];
  const rawKwargs = body.kwargs ?? {};
  const [args, kwargs] = argsKwargs(rawArgs, rawKwargs, provisionalId ?? '?');
  const fields: Fields = hybrid ? { ...body, ...envelopeHeaders } : { ...body };
  if (!hybrid && typeof body.taskset === 'string') fields.group = body.taskset;
  for (const key of ['args', 'kwargs', 'callbacks', 'errbacks', 'chord', 'chain', 'taskset', 'utc'])
    delete fields[key];
  const headers = headersFrom(fields, args, kwargs);
  const embed = embedFrom(
    { callbacks: body.callbacks, errbacks: body.errbacks, chord: body.chord, chain: null },
    headers.id,
  );
  return { protocol: hybrid ? 2 : 1, headers, properties, args, kwargs, embed };
}

/**
 * Decodes a kombu envelope into a task message, whatever protocol the producer used.
 *
 * @throws {ContentDisallowed} for pickle, YAML or any content type but JSON.
 * @throws {DecodeError} when a layer is not base64/UTF-8/JSON or a type tag is unknown.
 * @throws {InvalidTaskError} when the message is not a Celery task (no `task` or `id`, wrong body shape).
 */
export function decodeEnvelope(envelope: KombuEnvelope): TaskMessage {
  const properties = envelope.properties as TaskProperties;
  const text = envelopeBodyText(envelope);
  const headerId = typeof envelope.headers.id === 'string' ? envelope.headers.id : undefined;
  let body: unknown;
  try {
    body = kombuJsonLoads(text, 'task body');
  } catch (error) {
    if (error instanceof DecodeError && headerId) {
      throw new InvalidTaskError(`${error.message} (task ${headerId})`, { taskId: headerId, cause: error });
    }
    throw error;
  }
  if ('task' in envelope.headers) {
    if (Array.isArray(body)) {
      if (body.length !== 3 && body.length !== 2) {
        throw new InvalidTaskError(
          `A protocol v2 body must be [args, kwargs, embed], got a list of ${body.length} element(s)`,
          { taskId: headerId },
        );
      }
      const id = required(envelope.headers, 'id', undefined);
      const [args, kwargs] = argsKwargs(body[0], body[1], id);
      const headers = headersFrom(envelope.headers, args, kwargs);
      return { protocol: 2, headers, properties, args, kwargs, embed: embedFrom(body[2], id) };
    }
    if (typeof body === 'object' && body !== null && 'args' in body) {
      return fromV1Body(body as Fields, envelope.headers, properties, true);
    }
    throw new InvalidTaskError(
      `A protocol v2 body must be [args, kwargs, embed], got ${JSON.stringify(body)?.slice(0, 80)}`,
      {
        taskId: headerId,
      },
    );
  }
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    return fromV1Body(body as Fields, envelope.headers, properties, false);
  }
  throw new InvalidTaskError(
    'Message has no `task` header and its body is not a protocol v1 task object; it is not a Celery task message',
  );
}

/**
 * Decodes bare JSON that arrived without a kombu envelope: a protocol v1 task object
 * (`{"task": ..., "id": ..., "args": [...], "kwargs": {...}}`), as some non-Celery producers send.
 */
export function decodeBareTask(json: unknown): TaskMessage {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !('task' in json)) {
    throw new InvalidTaskError(
      'Message is JSON but neither a kombu envelope (no `properties`/`body`) nor a task object (no `task`)',
    );
  }
  const body = fromTaggedJson(json, 'task body') as Fields;
  return fromV1Body(body, {}, { body_encoding: 'utf-8', delivery_info: {} }, false);
}

/**
 * Decodes an SQS `MessageBody` into a task message: base64 or plain JSON, a kombu envelope or a bare v1 task.
 *
 * @throws {ContentDisallowed} for pickle, YAML or any content type but JSON.
 * @throws {DecodeError} when a layer is not base64/UTF-8/JSON or a type tag is unknown.
 * @throws {InvalidTaskError} when the message is not a Celery task.
 * @example
 * const message = decodeTaskMessage(record.body);
 * message.headers.task; // 'tasks.add'
 */
export function decodeTaskMessage(messageBody: string): TaskMessage {
  const { envelope, bare } = decodeSqsMessageBody(messageBody);
  return envelope ? decodeEnvelope(envelope) : decodeBareTask(bare);
}
