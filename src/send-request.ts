/**
 * The one conversion on the send path: a call (task name, arguments, {@link ApplyOptions}, and the workflow
 * fields a worker or a workflow sets) becomes a validated {@link SendRequest}. A send request *is* the input of
 * the protocol's `buildTaskMessage` plus where to deliver it, so nothing copies fields from shape to shape:
 *
 * ```
 * SendCall ──toSendRequest──► SendRequest ──buildTaskMessage──► TaskMessage ──encode──► SQS
 * ```
 *
 * Every send goes this way: `delay`/`applyAsync`/`sendTask`, link callbacks and errbacks, chain steps, chord
 * bodies, retries and periodic firings.
 *
 * How options combine: the call's options win over the task's registered defaults (`queue`, `ignoreResult`,
 * time limits), which win over the app's routing (`taskRoutes`, then `priorityQueues` by the message's priority;
 * config/task-routes.ts) and then its `defaultQueue`. `countdown` and `eta` are exclusive; `expires` in seconds
 * counts from now.
 */
import type { ApplyOptions } from './apply-options.js';
import { MAX_PRIORITY, priorityQueueFor, routeFor, type TaskRouting } from './config/task-routes.js';
import { inheritedIds } from './current-task.js';
import { InvalidOptionError, InvalidTaskError } from './errors.js';
import { describeKey, type KeySource, limitKeyOf, type RateLimitKey } from './flow/limit-key.js';
import { CELERY_HEADER_NAMES } from './protocol/celery-headers.js';
import {
  COMPRESSION_METHODS_TEXT,
  type CompressionMethod,
  isCompressionMethod,
} from './protocol/compression.js';
import { parseIsoDateTime } from './protocol/iso-time.js';
import { readSignature } from './protocol/nested-signatures.js';
import { isFifoQueueName } from './protocol/queue-name.js';
import { isSerializerName, type SerializerName } from './protocol/serializers.js';
import type { SignatureDict } from './protocol/signature.js';
import { isTaskId, TASK_ID_RULE } from './protocol/task-id.js';
import { buildTaskMessage, type TaskMessage, type TaskMessageInput } from './protocol/task-message.js';
import type { TaskOptions } from './task-options.js';

/**
 * Fields the workflow machinery and the worker set on the messages they send (retries, chain steps, chord
 * bodies, callbacks); not part of the everyday API.
 */
export interface WorkflowFields {
  readonly retries?: number;
  readonly rootId?: string;
  readonly parentId?: string;
  readonly groupId?: string;
  readonly groupIndex?: number;
  /** Remaining chain steps, the next one last (Celery's order). */
  readonly chain?: readonly SignatureDict[];
  readonly chord?: SignatureDict;
  readonly stamps?: Readonly<Record<string, unknown>>;
  readonly replyTo?: string;
  /** The `delivery_tag` property (a random UUID by default). */
  readonly deliveryTag?: string;
  /** Keep this `origin` (a retry keeps the original sender's). */
  readonly origin?: string;
  /** Expiry as an absolute time (a retry keeps its original expiry). */
  readonly expiresAt?: Date;
  /** Send to this queue URL instead of routing `queue` (a worker re-sending to the queue a message came from). */
  readonly queueUrl?: string;
}

/** One send, before validation. */
export interface SendCall {
  readonly name: string;
  readonly args?: readonly unknown[];
  readonly kwargs?: Readonly<Record<string, unknown>>;
  readonly options?: ApplyOptions;
  readonly workflow?: WorkflowFields;
}

/** A validated send: the message's fields, as `buildTaskMessage` takes them, and how to deliver it. */
export interface SendRequest extends TaskMessageInput {
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly eta: Date | null;
  readonly expires: Date | null;
  readonly retries: number;
  /** When the request was made: `expires` in seconds counts from it, and so does the message's `expiration`. */
  readonly now: Date;
  /** The queue URL to use instead of routing `queue`. */
  readonly queueUrl?: string;
  /** FIFO queues: the message group (default `default`, as kombu). */
  readonly messageGroupId?: string;
  /** FIFO queues: the deduplication id (default a random UUID, as kombu). */
  readonly messageDeduplicationId?: string;
  /** The body's serializer, from the call or the task; unset leaves the app's default. */
  readonly serializer?: SerializerName;
  /** The body's compression, from the call or the task; unset leaves the app's default. */
  readonly compression?: CompressionMethod;
}

/** What {@link toSendRequest} needs besides the call. */
export interface SendDefaults {
  /** The registered task's options, when the task is registered here. */
  readonly taskOptions?: TaskOptions | undefined;
  /** The app's default queue. */
  readonly queue: string;
  /** The app's `taskRoutes` and `priorityQueues`; none when absent. */
  readonly routing?: TaskRouting;
  /** The sender's node name, for `origin`. */
  readonly origin: string;
  /** Send a task's limit key as the message group of a standard queue (`fairQueues`). Default false. */
  readonly fairQueues?: boolean;
  readonly nowMs: number;
  readonly newId: () => string;
}

function nonNegativeSeconds(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw InvalidOptionError.expected(option, 'a number of seconds >= 0', value);
  }
  return value;
}

/** The years an ISO-8601 datetime with a 4-digit year holds, as Python's `datetime` (`MINYEAR`, `MAXYEAR`). */
const YEARS = 'in the years 0001 to 9999 UTC';

/**
 * `date`, when the message can carry it: an `eta` or `expires` outside the years 1-9999 (or a countdown that
 * overflows a `Date`) would be written as a time no worker reads, and Celery's `datetime` cannot hold it.
 */
function writable(option: string, date: Date, value: unknown, expected: string): Date {
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 1 || year > 9999) {
    throw InvalidOptionError.expected(option, expected, value);
  }
  return date;
}

function toDate(option: string, value: Date | string): Date {
  const date = typeof value === 'string' ? parseIsoDateTime(value) : value;
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw InvalidOptionError.expected(option, 'a valid Date or ISO-8601 time', value);
  }
  return writable(option, date, value, `a Date or ISO-8601 time ${YEARS}`);
}

/** Now plus `seconds` of the option, refused when the time it gives cannot be written. */
function secondsFromNow(option: string, value: unknown, nowMs: number): Date {
  const seconds = nonNegativeSeconds(option, value);
  const expected = `a number of seconds >= 0 that gives a time ${YEARS}`;
  return writable(option, new Date(nowMs + seconds * 1000), value, expected);
}

/**
 * Checks a task id can serve as a DynamoDB key in Celery's `b'celery-task-meta-<id>'` form unchanged: printable
 * ASCII without quotes or backslashes (Python would escape those in the bytes repr).
 */
export function validateTaskId(taskId: unknown): string {
  if (!isTaskId(taskId)) throw InvalidOptionError.expected('taskId', TASK_ID_RULE, taskId);
  return taskId;
}

/** The option that sets each of Celery's own headers, for the error that refuses it among custom headers. */
const HEADER_OPTIONS: Readonly<Record<string, string>> = {
  task: 'the task name',
  id: '`taskId`',
  shadow: '`shadow`',
  eta: '`eta` or `countdown`',
  expires: '`expires`',
  timelimit: '`timeLimitSeconds` and `softTimeLimitSeconds`',
  ignore_result: '`ignoreResult`',
  compression: '`compression`',
};

/**
 * The call's custom headers: a plain object none of whose names is one of Celery's own (`id`, `task`,
 * `retries`...). Celery lets a custom header overwrite those (`headers2.update(headers)`), which gives a message
 * whose header id is not its result's id, or a retry count the worker never set; celeriac refuses it.
 */
function customHeaders(value: unknown): Readonly<Record<string, unknown>> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw InvalidOptionError.expected('headers', 'an object of custom header names to values', value);
  }
  for (const key of Object.keys(value)) {
    if (!CELERY_HEADER_NAMES.has(key)) continue;
    const option = HEADER_OPTIONS[key];
    throw new InvalidOptionError(
      `headers.${key} is one of Celery's own message headers, which celeriac writes itself${
        option === undefined ? '' : ` (set it with ${option})`
      }; give the custom header another name`,
      { option: `headers.${key}`, value: (value as Record<string, unknown>)[key] },
    );
  }
  return value as Readonly<Record<string, unknown>>;
}

/** A signature as a plain dict: canvas objects (`task.s()`, `chain(...)`) turn themselves into one. */
function plainSignature(value: SignatureDict): SignatureDict {
  const toDict = (value as { toDict?: unknown }).toDict;
  return typeof toDict === 'function' ? (toDict.call(value) as SignatureDict) : value;
}

/**
 * `link` or `linkError` as a list of signature dicts, each checked as a worker will read it: refused here, a
 * wrong one (a task name where a signature belongs, say) would make the whole message undecodable, and the task
 * would go to the dead-letter queue without running.
 */
function signatureList(
  option: 'link' | 'linkError',
  value: SignatureDict | readonly SignatureDict[] | undefined,
): SignatureDict[] | null {
  if (value === undefined) return null;
  const list = (Array.isArray(value) ? [...value] : [value as SignatureDict]).map(plainSignature);
  list.forEach((signature, i) => {
    try {
      readSignature(signature, `${option}[${i}]`, '');
    } catch (error) {
      if (!(error instanceof InvalidTaskError)) throw error;
      throw new InvalidOptionError(
        `Expected \`${option}\` to be a signature (task.s(...), or a dict with \`task\`) or a list of them: ${error.message}`,
        { option, value, cause: error },
      );
    }
  });
  return list;
}

function positiveSeconds(option: string, value: number | undefined): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw InvalidOptionError.expected(option, 'a finite number of seconds > 0', value);
  }
  return value;
}

/** Every option {@link ApplyOptions} has (checked against the interface by the compiler). */
const APPLY_OPTION_NAMES: ReadonlySet<string> = new Set(
  Object.keys({
    countdown: true,
    eta: true,
    expires: true,
    queue: true,
    taskId: true,
    headers: true,
    ignoreResult: true,
    timeLimitSeconds: true,
    softTimeLimitSeconds: true,
    shadow: true,
    priority: true,
    serializer: true,
    compression: true,
    messageGroupId: true,
    messageDeduplicationId: true,
    link: true,
    linkError: true,
  } satisfies Record<keyof ApplyOptions, true>),
);

/** The option a misspelt or Celery-spelt name means: `countDown` and `count_down` are `countdown`. */
function optionMeant(name: string): string | undefined {
  const folded = name.replace(/_/g, '').toLowerCase();
  const aliases: Readonly<Record<string, string>> = {
    timelimit: 'timeLimitSeconds',
    softtimelimit: 'softTimeLimitSeconds',
    messagegroup: 'messageGroupId',
  };
  return (
    [...APPLY_OPTION_NAMES].find((known) => known.toLowerCase() === folded) ?? aliases[folded] ?? undefined
  );
}

/**
 * Refuses an option `applyAsync` does not have: left out silently, a typo such as `countDown` would run the task
 * at once.
 */
function checkOptionNames(options: object): void {
  for (const name of Object.keys(options)) {
    if (APPLY_OPTION_NAMES.has(name)) continue;
    const meant = optionMeant(name);
    throw new InvalidOptionError(
      `Unknown send option \`${name}\`${meant ? `; did you mean \`${meant}\`?` : ''} ` +
        `(options: ${[...APPLY_OPTION_NAMES].join(', ')})`,
      { option: name, value: (options as Record<string, unknown>)[name] },
    );
  }
}

/**
 * Validates and completes one send.
 *
 * @throws {InvalidOptionError} naming the option, the expected form and the value received.
 * @example
 * const request = toSendRequest({ name: 'tasks.add', args: [2, 3] }, { queue: 'celery', origin, nowMs, newId });
 */
export function toSendRequest(call: SendCall, defaults: SendDefaults): SendRequest {
  const { name, args = [], kwargs = {}, workflow = {} } = call;
  // `null` is no options, as `undefined` is (a JavaScript caller's way of leaving them out).
  const options: ApplyOptions = call.options ?? {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw InvalidOptionError.expected('options', 'an object of send options', options);
  }
  checkOptionNames(options);
  const task = defaults.taskOptions ?? {};
  const headers = customHeaders(options.headers);
  if (typeof name !== 'string' || name.length === 0) {
    throw InvalidOptionError.expected('name', 'a task name', name);
  }
  if (!Array.isArray(args))
    throw InvalidOptionError.expected('args', 'an array of positional arguments', args);
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
    throw InvalidOptionError.expected('kwargs', 'an object of keyword arguments', kwargs);
  }
  const limitKey =
    task.rateLimitKey === undefined
      ? undefined
      : requireLimitKey(name, task.rateLimitKey, { args, kwargs, headers: headers ?? {} });
  if (options.countdown !== undefined && options.eta !== undefined) {
    throw InvalidOptionError.expected(
      'countdown',
      'unset when `eta` is given (they are exclusive)',
      options.countdown,
    );
  }
  let eta: Date | null = null;
  if (options.countdown !== undefined) {
    eta = secondsFromNow('countdown', options.countdown, defaults.nowMs);
  } else if (options.eta !== undefined) {
    eta = toDate('eta', options.eta);
  }
  let expires: Date | null = workflow.expiresAt ?? null;
  if (options.expires !== undefined) {
    expires =
      typeof options.expires === 'number'
        ? secondsFromNow('expires', options.expires, defaults.nowMs)
        : toDate('expires', options.expires);
  }
  const retries = workflow.retries ?? 0;
  // Sent while a task runs: that task's child, in its workflow (Celery's `send_task` and `current_worker_task`).
  const inherited = inheritedIds();
  if (!Number.isInteger(retries) || retries < 0) {
    throw InvalidOptionError.expected('retries', 'an integer >= 0', retries);
  }
  // Celery's router: the call's and the task's queue win over a route, whose priority is only a default.
  const route = defaults.routing ? routeFor(defaults.routing, name) : undefined;
  const priority = options.priority ?? route?.priority;
  if (
    priority !== undefined &&
    (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY)
  ) {
    throw InvalidOptionError.expected(
      'priority',
      `a whole number from 0 to ${MAX_PRIORITY} (higher is more urgent)`,
      priority,
    );
  }
  const queue =
    options.queue ??
    task.queue ??
    route?.queue ??
    (defaults.routing && priority !== undefined ? priorityQueueFor(defaults.routing, priority) : undefined) ??
    defaults.queue;
  if (typeof queue !== 'string' || queue.length === 0) {
    throw InvalidOptionError.expected('queue', 'a queue name', queue);
  }
  const taskId = validateTaskId(options.taskId ?? defaults.newId());
  const serializer = options.serializer ?? task.serializer;
  if (serializer !== undefined && !isSerializerName(serializer)) {
    throw InvalidOptionError.expected('serializer', "'json', 'msgpack' or 'yaml'", serializer);
  }
  const compression = options.compression ?? task.compression;
  if (compression !== undefined && !isCompressionMethod(compression)) {
    throw InvalidOptionError.expected('compression', COMPRESSION_METHODS_TEXT, compression);
  }
  const fifo = isFifoQueueName(queue);
  // kombu writes a FIFO send's group and deduplication ids into the message properties too.
  const extraProperties = fifo
    ? {
        ...(options.messageGroupId === undefined ? {} : { MessageGroupId: options.messageGroupId }),
        ...(options.messageDeduplicationId === undefined
          ? {}
          : { MessageDeduplicationId: options.messageDeduplicationId }),
      }
    : undefined;
  const timeLimitSeconds = positiveSeconds(
    'timeLimitSeconds',
    options.timeLimitSeconds ?? task.timeLimitSeconds,
  );
  const softTimeLimitSeconds = positiveSeconds(
    'softTimeLimitSeconds',
    options.softTimeLimitSeconds ?? task.softTimeLimitSeconds,
  );
  return {
    taskId,
    name,
    queue,
    args,
    kwargs,
    eta,
    expires,
    now: new Date(defaults.nowMs),
    group: workflow.groupId ?? null,
    groupIndex: workflow.groupIndex ?? null,
    retries,
    timeLimitSeconds,
    softTimeLimitSeconds,
    rootId: workflow.rootId ?? inherited.rootId ?? null,
    parentId: workflow.parentId ?? inherited.parentId ?? null,
    shadow: options.shadow ?? null,
    callbacks: signatureList('link', options.link),
    errbacks: signatureList('linkError', options.linkError),
    chain: workflow.chain ? workflow.chain.map(plainSignature) : null,
    chord: workflow.chord ? plainSignature(workflow.chord) : null,
    origin: workflow.origin ?? defaults.origin,
    ignoreResult: options.ignoreResult ?? task.ignoreResult ?? false,
    ...(workflow.stamps ? { stamps: workflow.stamps } : {}),
    ...(headers ? { headers } : {}),
    ...(extraProperties ? { extraProperties } : {}),
    ...(workflow.replyTo ? { replyTo: workflow.replyTo } : {}),
    ...(workflow.deliveryTag ? { deliveryTag: workflow.deliveryTag } : {}),
    ...(priority === undefined ? {} : { priority }),
    ...(workflow.queueUrl ? { queueUrl: workflow.queueUrl } : {}),
    ...(serializer === undefined ? {} : { serializer }),
    ...(compression === undefined ? {} : { compression }),
    ...(fifo && options.messageGroupId !== undefined ? { messageGroupId: options.messageGroupId } : {}),
    // SQS fair queues: on a standard queue, the message group names the key whose share it is.
    ...(!fifo && limitKey !== undefined && defaults.fairQueues ? { messageGroupId: limitKey } : {}),
    ...(fifo && options.messageDeduplicationId !== undefined
      ? { messageDeduplicationId: options.messageDeduplicationId }
      : {}),
  };
}

/** The key of a call to a task limited per key; a call without one is refused, naming the task and the key. */
function requireLimitKey(name: string, key: RateLimitKey, source: KeySource): string {
  const value = limitKeyOf(key, source);
  if (value !== undefined) return value;
  const how =
    typeof key === 'function'
      ? 'make it return a non-empty string for these arguments'
      : 'header' in key
        ? `pass headers: { ${JSON.stringify(key.header)}: ... } (from Python: apply_async(headers={...}))`
        : `pass the keyword argument ${JSON.stringify(key.kwarg)}`;
  throw new InvalidOptionError(
    `${name} is limited per key (${describeKey(key)}), but this call has no key: ${how}`,
    { option: 'rateLimitKey', value: undefined },
  );
}

/** The Celery v2 message of a send request. */
export function toTaskMessage(request: SendRequest): TaskMessage {
  return buildTaskMessage(request);
}
