/**
 * Signature options in both spellings: the TypeScript names of {@link ApplyOptions} (`timeLimitSeconds`,
 * `linkError`) that `.set()` takes, and Celery's `apply_async` names (`time_limit`, `link_error`) that a signature
 * dict carries on the wire, so a signature built here reads the same in Python. And the other way: the send call
 * of a (frozen) signature dict, as Celery's `Signature.apply_async` makes it.
 */
import type { ApplyOptions } from '../apply-options.js';
import { formatPythonDateTime } from '../protocol/iso-time.js';
import type { SignatureDict, SignatureOptions } from '../protocol/signature.js';
import type { SendCall, WorkflowFields } from '../send-request.js';

/** A signature or something that turns into one (a canvas object). */
export interface SignatureLike {
  toDict(): SignatureDict;
}

/** The plain dict of a signature or canvas object, deep: nested canvas objects become dicts too. */
export function plainSignature(value: SignatureDict | SignatureLike): SignatureDict {
  const toDict = (value as Partial<SignatureLike>).toDict;
  return typeof toDict === 'function' ? toDict.call(value) : (value as SignatureDict);
}

function plainList(value: unknown): SignatureDict[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => plainSignature(item as SignatureDict));
}

/** Options `.set()` takes: everything `applyAsync` takes. */
export type SignatureSetOptions = ApplyOptions;

/** Celery's option names for the TypeScript ones. */
const CELERY_NAMES: Readonly<Record<string, string>> = {
  taskId: 'task_id',
  timeLimitSeconds: 'time_limit',
  softTimeLimitSeconds: 'soft_time_limit',
  ignoreResult: 'ignore_result',
  linkError: 'link_error',
  messageGroupId: 'MessageGroupId',
  messageDeduplicationId: 'MessageDeduplicationId',
};

/** {@link ApplyOptions} in Celery's spelling, as a signature dict holds them. */
export function toCeleryOptions(options: ApplyOptions): SignatureOptions {
  const out: SignatureOptions = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const name = CELERY_NAMES[key] ?? key;
    if (key === 'link' || key === 'linkError') out[name] = plainList(value);
    else if (value instanceof Date) out[name] = formatPythonDateTime(value);
    else out[name] = value;
  }
  return out;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function signatures(value: unknown): SignatureDict[] | undefined {
  if (value === undefined || value === null) return undefined;
  return plainList(value);
}

function definedOnly<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}

/** The {@link ApplyOptions} in a signature dict's options (Celery's names). */
export function applyOptionsOf(options: SignatureOptions): ApplyOptions {
  const expires = options.expires;
  return definedOnly({
    taskId: str(options.task_id),
    queue: str(options.queue),
    countdown: num(options.countdown),
    eta: str(options.eta),
    expires: typeof expires === 'number' || typeof expires === 'string' ? expires : undefined,
    priority: num(options.priority),
    shadow: str(options.shadow),
    headers:
      typeof options.headers === 'object' && options.headers !== null && !Array.isArray(options.headers)
        ? (options.headers as Record<string, unknown>)
        : undefined,
    ignoreResult: typeof options.ignore_result === 'boolean' ? options.ignore_result : undefined,
    timeLimitSeconds: num(options.time_limit),
    softTimeLimitSeconds: num(options.soft_time_limit),
    messageGroupId: str(options.MessageGroupId),
    messageDeduplicationId: str(options.MessageDeduplicationId),
    link: signatures(options.link),
    linkError: signatures(options.link_error),
  });
}

/** The workflow fields in a (frozen) signature dict's options. */
export function workflowOf(options: SignatureOptions): WorkflowFields {
  const chord = options.chord;
  return definedOnly({
    rootId: str(options.root_id),
    parentId: str(options.parent_id),
    groupId: str(options.group_id),
    groupIndex: num(options.group_index),
    replyTo: str(options.reply_to),
    chain: Array.isArray(options.chain) ? plainList(options.chain) : undefined,
    chord: chord && typeof chord === 'object' ? plainSignature(chord as SignatureDict) : undefined,
  });
}

/**
 * The send call of a task signature with partial arguments, as Celery's `Signature.apply_async(args, kwargs)`:
 * a mutable signature gets `partialArgs` prepended to its own, an immutable one keeps its own; `partialKwargs`
 * are merged over its kwargs (unless immutable); `extra` workflow fields win over the signature's.
 */
export function signatureCall(
  signature: SignatureDict,
  partialArgs: readonly unknown[] = [],
  extra: WorkflowFields = {},
  partialKwargs: Readonly<Record<string, unknown>> = {},
): SendCall {
  // A dict written by hand may leave out what Celery's always has: no arguments, no options.
  const { immutable, args = [], kwargs = {}, options = {} } = signature;
  return {
    name: signature.task,
    args: immutable ? args : [...partialArgs, ...args],
    kwargs: immutable ? kwargs : { ...kwargs, ...partialKwargs },
    options: applyOptionsOf(options),
    workflow: { ...workflowOf(options), ...extra },
  };
}
