/**
 * Reading the fields of a decoded task message, shared by the v2, v1 and hybrid decoders: headers checked and
 * filled in Celery's order, the arguments, and the embed of follow-up signatures.
 */
import { clipText } from './clip-text.js';
import { describeDecoded } from './describe-value.js';
import { InvalidTaskError } from './errors.js';
import { isFields } from './is-fields.js';
import { readSignature } from './nested-signatures.js';
import { argsRepr, kwargsRepr } from './python-repr.js';
import type { SignatureDict } from './signature.js';
import { isTaskId, TASK_ID_RULE } from './task-id.js';
import type { TaskEmbed, TaskHeaders } from './task-message-types.js';

/**
 * The longest `argsrepr` and `kwargsrepr` read from a message, in characters. Celery writes at most about 1,024
 * (`saferepr`), but another sender may write anything up to the message size; they are for display only, and
 * every log line, event and inspect reply carries them, so a longer one is cut here.
 */
export const MAX_REPR_HEADER_CHARS = 4096;

/** A repr header as sent, cut to {@link MAX_REPR_HEADER_CHARS}; the repr of the arguments when absent. */
function reprHeader(value: unknown, fallback: () => string): string {
  return typeof value === 'string' ? clipText(value, MAX_REPR_HEADER_CHARS) : fallback();
}

/** Decoded JSON fields of a message: headers, or a v1 body. */
export type Fields = Record<string, unknown>;

function str(fields: Fields, key: string, taskId: string | undefined): string | null {
  const value = fields[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    throw new InvalidTaskError(`Header \`${key}\` must be a string or null, got ${describeDecoded(value)}`, {
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
    throw new InvalidTaskError(`Header \`${key}\` must be an integer, got ${describeDecoded(value)}`, {
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
    `Header \`timelimit\` must be [hard, soft] seconds or nulls, got ${describeDecoded(value)}`,
    {
      taskId,
    },
  );
}

/** The id of a related task or group (`root_id`, `parent_id`, `group`): null, or a valid task id. */
function relatedId(fields: Fields, key: string, taskId: string): string | null {
  const value = str(fields, key, taskId);
  if (value !== null && !isTaskId(value)) {
    throw new InvalidTaskError(`Header \`${key}\` must be ${TASK_ID_RULE}, got ${describeDecoded(value)}`, {
      taskId,
    });
  }
  return value;
}

/** A required non-empty string field, `task` or `id`. */
export function requiredField(fields: Fields, key: 'task' | 'id', taskId: string | undefined): string {
  const value = fields[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidTaskError(
      `Message has no \`${key}\` ${key === 'task' ? '(task name)' : '(task id)'}: got ${describeDecoded(value ?? null)}`,
      { taskId },
    );
  }
  return value;
}

function signatures(value: unknown, key: string, taskId: string): SignatureDict[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value))
    throw new InvalidTaskError(`\`${key}\` must be a list of signatures`, { taskId });
  return value.map((item, index) => readSignature(item, `${key}[${index}]`, taskId));
}

/** The embed (third body element) of a message, normalised; `null` and absent mean no follow-ups. */
export function readTaskEmbed(raw: unknown, taskId: string): TaskEmbed {
  if (raw === undefined || raw === null) return { callbacks: null, errbacks: null, chain: null, chord: null };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidTaskError(
      `The third body element (embed) must be an object or null, got ${describeDecoded(raw)}`,
      {
        taskId,
      },
    );
  }
  const embed = raw as Fields;
  const chord =
    embed.chord === undefined || embed.chord === null ? null : readSignature(embed.chord, 'chord', taskId);
  return {
    callbacks: signatures(embed.callbacks, 'callbacks', taskId),
    errbacks: signatures(embed.errbacks, 'errbacks', taskId),
    chain: signatures(embed.chain, 'chain', taskId),
    chord,
  };
}

/** Checks the positional and keyword arguments of a message. */
export function readArgsKwargs(
  args: unknown,
  kwargs: unknown,
  taskId: string,
): [unknown[], Record<string, unknown>] {
  if (!Array.isArray(args)) {
    throw new InvalidTaskError(`Task positional arguments must be a list, got ${describeDecoded(args)}`, {
      taskId,
    });
  }
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
    throw new InvalidTaskError(`Task keyword arguments must be a mapping, got ${describeDecoded(kwargs)}`, {
      taskId,
    });
  }
  return [args, kwargs as Record<string, unknown>];
}

/** Reads and checks task headers, filling what older producers leave out, in Celery's order. */
export function readTaskHeaders(
  fields: Fields,
  args: unknown[],
  kwargs: Record<string, unknown>,
): TaskHeaders {
  const id = requiredField(fields, 'id', undefined);
  // No task id on the error: an id that cannot be a key must not be stored under.
  if (!isTaskId(id))
    throw new InvalidTaskError(`Header \`id\` must be ${TASK_ID_RULE}, got ${describeDecoded(id)}`);
  const task = requiredField(fields, 'task', id);
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
    group: relatedId(fields, 'group', id),
    group_index: int(fields, 'group_index', null, id),
    retries: int(fields, 'retries', 0, id) ?? 0,
    timelimit: timelimit(fields.timelimit, id),
    root_id: relatedId(fields, 'root_id', id),
    parent_id: relatedId(fields, 'parent_id', id),
    argsrepr: reprHeader(fields.argsrepr, () => argsRepr(args)),
    kwargsrepr: reprHeader(fields.kwargsrepr, () => kwargsRepr(kwargs)),
    origin: typeof fields.origin === 'string' ? fields.origin : '',
    ignore_result: fields.ignore_result === true,
    replaced_task_nesting: int(fields, 'replaced_task_nesting', 0, id) ?? 0,
    stamped_headers: Array.isArray(stamped)
      ? stamped.filter((s): s is string => typeof s === 'string')
      : null,
    stamps: isFields(stamps) ? stamps : {},
  };
}
