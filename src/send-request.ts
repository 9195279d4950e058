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
import { plainSignature } from './canvas/signature-options.js';
import { MAX_PRIORITY, priorityQueueFor, routeFor, type TaskRouting } from './config/task-routes.js';
import { inheritedIds } from './current-task.js';
import { InvalidOptionError } from './errors.js';
import { describeKey, type KeySource, limitKeyOf, type RateLimitKey } from './flow/limit-key.js';
import {
  COMPRESSION_METHODS_TEXT,
  type CompressionMethod,
  isCompressionMethod,
} from './protocol/compression.js';
import { isFifoQueueName } from './protocol/queue-name.js';
import { isSerializerName, type SerializerName } from './protocol/serializers.js';
import type { SignatureDict } from './protocol/signature.js';
import { buildTaskMessage, type TaskMessage, type TaskMessageInput } from './protocol/task-message.js';
import {
  checkOptionNames,
  customHeaders,
  positiveSeconds,
  secondsFromNow,
  signatureList,
  toDate,
  validateTaskId,
} from './send-options.js';
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
