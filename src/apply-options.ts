/**
 * The options of `applyAsync` and `sendTask`, and their validation. Names follow Celery's `apply_async`
 * (`countdown`, `eta`, `expires`, `queue`, `headers`, `shadow`, `priority`); times in seconds carry the unit in
 * the name where Celery's does not (`timeLimitSeconds`).
 */
import { InvalidOptionError } from './errors.js';
import { parseIsoDateTime } from './protocol/iso-time.js';
import type { SignatureDict } from './protocol/signature.js';

/** Options for sending one task. */
export interface ApplyOptions {
  /** Seconds from now before the task may run. SQS delays delivery up to 900 s at a time; longer waits are re-delayed by the worker, never held in memory. */
  readonly countdown?: number;
  /** Earliest time the task may run (a `Date` or ISO-8601 text). Exclusive with `countdown`. */
  readonly eta?: Date | string;
  /** Expiry: seconds from now, or a time. A task received after it is stored REVOKED and not run. */
  readonly expires?: number | Date | string;
  /** Celery queue name. Default: the task's queue, else the app's default queue. */
  readonly queue?: string;
  /** Task id. Default: a random UUID. */
  readonly taskId?: string;
  /** Custom message headers, appended after Celery's. */
  readonly headers?: Readonly<Record<string, unknown>>;
  /** Store no result for this call. */
  readonly ignoreResult?: boolean;
  /** Hard time limit for this call, seconds. */
  readonly timeLimitSeconds?: number;
  /** Soft time limit for this call, seconds: the task's `signal` aborts then. */
  readonly softTimeLimitSeconds?: number;
  /** Name to show in logs instead of the task name. */
  readonly shadow?: string;
  /** Message priority (kept for Python; SQS has none). */
  readonly priority?: number;
  /** FIFO queues: the message group. Default `default`, as kombu uses. */
  readonly messageGroupId?: string;
  /** FIFO queues: the deduplication id. Default: a random UUID, as kombu uses. */
  readonly messageDeduplicationId?: string;
  /** Signatures to call with the result on success (Celery `link`). */
  readonly link?: SignatureDict | readonly SignatureDict[];
  /** Signatures to call on failure (Celery `link_error`). */
  readonly linkError?: SignatureDict | readonly SignatureDict[];
}

/**
 * Options the workflow machinery and the worker set on follow-up messages (retries, chain steps, chord
 * bodies); not part of the everyday API.
 */
export interface InternalApplyOptions extends ApplyOptions {
  readonly retries?: number;
  readonly rootId?: string;
  readonly parentId?: string;
  readonly groupId?: string;
  readonly groupIndex?: number;
  readonly chain?: readonly SignatureDict[];
  readonly chord?: SignatureDict;
  readonly stamps?: Readonly<Record<string, unknown>>;
  readonly replyTo?: string;
  /** The `delivery_tag` property (a random UUID by default). */
  readonly deliveryTag?: string;
  /** Keep this `origin` (a retry keeps the original sender's). */
  readonly origin?: string;
  readonly expiresAt?: Date;
  /** Send to this queue URL instead of routing `queue` (a worker re-sending to the queue a message came from). */
  readonly queueUrl?: string;
}

/** A fully validated send. */
export interface SendRequest {
  readonly name: string;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly taskId: string;
  readonly queue: string;
  readonly eta: Date | undefined;
  readonly expires: Date | undefined;
  /** `link` signatures, as a list. */
  readonly callbacks: SignatureDict[] | undefined;
  /** `linkError` signatures, as a list. */
  readonly errbacks: SignatureDict[] | undefined;
  readonly options: InternalApplyOptions;
}

const TASK_ID = /^[\x21-\x7e]+$/;

function nonNegativeSeconds(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(option, 'a number of seconds >= 0', value);
  }
  return value;
}

function toDate(option: string, value: Date | string): Date {
  const date = typeof value === 'string' ? parseIsoDateTime(value) : value;
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new InvalidOptionError(option, 'a valid Date or ISO-8601 time', value);
  }
  return date;
}

/**
 * Checks a task id can serve as a DynamoDB key in Celery's `b'celery-task-meta-<id>'` form unchanged: printable
 * ASCII without quotes or backslashes (Python would escape those in the bytes repr).
 */
export function validateTaskId(taskId: unknown): string {
  if (typeof taskId !== 'string' || !TASK_ID.test(taskId) || /['"\\]/.test(taskId) || taskId.length > 200) {
    throw new InvalidOptionError(
      'taskId',
      "printable ASCII of 1-200 characters without quotes or backslashes (Celery's DynamoDB keys quote it)",
      taskId,
    );
  }
  return taskId;
}

function signatureList(
  value: SignatureDict | readonly SignatureDict[] | undefined,
): SignatureDict[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? [...value] : [value as SignatureDict];
}

/**
 * Validates and normalises one send.
 *
 * @throws {InvalidOptionError} naming the option, the expected form and the value received.
 */
export function toSendRequest(
  name: string,
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
  options: InternalApplyOptions,
  defaults: { readonly queue: string; readonly nowMs: number; readonly newId: () => string },
): SendRequest {
  if (typeof name !== 'string' || name.length === 0)
    throw new InvalidOptionError('name', 'a task name', name);
  if (!Array.isArray(args)) throw new InvalidOptionError('args', 'an array of positional arguments', args);
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
    throw new InvalidOptionError('kwargs', 'an object of keyword arguments', kwargs);
  }
  if (options.countdown !== undefined && options.eta !== undefined) {
    throw new InvalidOptionError(
      'countdown',
      'unset when `eta` is given (they are exclusive)',
      options.countdown,
    );
  }
  let eta: Date | undefined;
  if (options.countdown !== undefined) {
    eta = new Date(defaults.nowMs + nonNegativeSeconds('countdown', options.countdown) * 1000);
  } else if (options.eta !== undefined) {
    eta = toDate('eta', options.eta);
  }
  let expires: Date | undefined = options.expiresAt;
  if (options.expires !== undefined) {
    expires =
      typeof options.expires === 'number'
        ? new Date(defaults.nowMs + nonNegativeSeconds('expires', options.expires) * 1000)
        : toDate('expires', options.expires);
  }
  for (const key of ['timeLimitSeconds', 'softTimeLimitSeconds'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'number' || !(value > 0))) {
      throw new InvalidOptionError(key, 'a number of seconds > 0', value);
    }
  }
  if (options.retries !== undefined && (!Number.isInteger(options.retries) || options.retries < 0)) {
    throw new InvalidOptionError('retries', 'an integer >= 0', options.retries);
  }
  const queue = options.queue ?? defaults.queue;
  if (typeof queue !== 'string' || queue.length === 0)
    throw new InvalidOptionError('queue', 'a queue name', queue);
  return {
    name,
    args,
    kwargs,
    taskId: validateTaskId(options.taskId ?? defaults.newId()),
    queue,
    eta,
    expires,
    callbacks: signatureList(options.link),
    errbacks: signatureList(options.linkError),
    options,
  };
}
