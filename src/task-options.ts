/**
 * A task's options, with Celery's meanings, and their validation. Kept apart from {@link Task} so that the send
 * path (which merges a task's defaults into each call) needs the options, not the task.
 */
import { InvalidOptionError } from './errors.js';
import { type RateLimitKey, validateRateLimitKey } from './flow/limit-key.js';
import { parseRate, type RateLimit } from './flow/rate.js';
import {
  COMPRESSION_METHODS_TEXT,
  type CompressionMethod,
  isCompressionMethod,
} from './protocol/compression.js';
import { isSerializerName, type SerializerName } from './protocol/serializers.js';

/** A task's behaviour, with Celery's option names where Celery has them. */
export interface TaskOptions {
  /** Default queue for this task. Default: the app's default queue. */
  readonly queue?: string;
  /**
   * Store no result (Celery `ignore_result`); the handle a send returns then resolves `get()` with `undefined` at
   * once. Default false.
   */
  readonly ignoreResult?: boolean;
  /** Store FAILURE even when `ignoreResult` is set (Celery `store_errors_even_if_ignored`). Default false. */
  readonly storeErrorsEvenIfIgnored?: boolean;
  /** Store STARTED before running (Celery `track_started`). Default false. */
  readonly trackStarted?: boolean;
  /** Hard time limit, seconds: the worker stops waiting and stores FAILURE `TimeLimitExceeded`. */
  readonly timeLimitSeconds?: number;
  /** Soft time limit, seconds: the task's `signal` aborts with `SoftTimeLimitExceeded`. */
  readonly softTimeLimitSeconds?: number;
  /** Most retries `this.retry()` may ask for; null for no limit. Default 3. */
  readonly maxRetries?: number | null;
  /** Wait before a retry when none is given, seconds. Default 180. */
  readonly defaultRetryDelaySeconds?: number;
  /** Retry automatically when the task throws one of these (Celery `autoretry_for`). */
  readonly autoretryFor?: readonly (abstract new (
    ...args: never[]
  ) => Error)[];
  /** Exponential backoff for automatic retries: `true` (factor 1) or the factor in seconds. Default false. */
  readonly retryBackoff?: boolean | number;
  /** Cap on the backoff, seconds. Default 600. */
  readonly retryBackoffMaxSeconds?: number;
  /** Randomise backoff delays ("full jitter"). Default true. */
  readonly retryJitter?: boolean;
  /** Serializer of this task's messages (Celery `serializer`). Default: the app's `serializer`. */
  readonly serializer?: SerializerName;
  /** Compression of this task's messages (Celery `compression`). Default: the app's `compression`. */
  readonly compression?: CompressionMethod;
  /**
   * Most runs of this task across every worker and Lambda invocation (Celery `rate_limit`, but fleet-wide):
   * `'10/s'`, `'100/m'`, `'1000/h'`, or tasks per second; 0 for none. Default: the app's `defaultRateLimit`.
   * A run over the limit waits in SQS (docs/flow-control.md).
   */
  readonly rateLimit?: RateLimit;
  /**
   * The key of per-key limits (a tenant, a customer): `{ header: 'tenant' }`, `{ kwarg: 'tenant' }`, or a
   * function of the task's positional arguments, e.g. `(order) => order.tenantId`. A call without a key is
   * refused at send time. On a standard queue the key is also the message group (SQS fair queues).
   */
  readonly rateLimitKey?: RateLimitKey;
  /** Most runs per key, in `rateLimit`'s syntax. Needs `rateLimitKey`. */
  readonly keyRateLimit?: RateLimit;
  /** Most runs of one key at once, across the fleet. Needs `rateLimitKey`. */
  readonly keyConcurrency?: number;
  /**
   * What a delivery of this task may do (docs/reliability.md, "Guarantees"). `effectively-once` (the default)
   * claims the task id before running it, so a message delivered twice runs once. `at-least-once` runs it
   * without a claim and stores its outcome with one conditional write that never replaces a finished result:
   * 1.2 requests per task at the worker instead of 2.2, for idempotent or short tasks, whose duplicate deliveries
   * may run again. `bulk` runs it without a claim too, and stores its outcome unconditionally, batched with the
   * outcomes of other bulk tasks (25 per BatchWriteItem on DynamoDB): for idempotent tasks sent in bulk
   * (`sendTasks`, or `coalesceSendsMs`), under 0.5 requests per task end to end; a duplicate delivery runs again
   * and its outcome replaces the stored one, finished or not.
   */
  readonly guarantee?: Guarantee;
  /**
   * Shadow-safe: while a migration routes this task name in shadow mode (docs/migrating-from-celery.md), celeriac
   * runs it as well as Python Celery, and keeps its result apart for comparison. Only for tasks without side
   * effects (no writes, no sends, no calls that change anything): a shadow run's `updateState` is dropped, but
   * anything else the function does happens. Default false: the shadow run is skipped, with a log line.
   */
  readonly shadow?: boolean;
}

/** The delivery guarantees a task can ask for. */
export const Guarantee = {
  EFFECTIVELY_ONCE: 'effectively-once',
  AT_LEAST_ONCE: 'at-least-once',
  BULK: 'bulk',
} as const;
export type Guarantee = (typeof Guarantee)[keyof typeof Guarantee];

/** Celery's retry defaults, in one place: `max_retries`, `default_retry_delay`, `retry_backoff_max`. */
export const RETRY_DEFAULTS = {
  maxRetries: 3,
  defaultRetryDelaySeconds: 180,
  retryBackoffMaxSeconds: 600,
} as const;

/**
 * Checks a task's options when it is registered.
 *
 * @throws {InvalidOptionError} naming the task and the option.
 */
export function validateTaskOptions(name: string, options: TaskOptions): void {
  const positive = (key: keyof TaskOptions): void => {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))) {
      throw InvalidOptionError.expected(`${name}: ${key}`, 'a finite number of seconds > 0', value);
    }
  };
  positive('timeLimitSeconds');
  positive('softTimeLimitSeconds');
  if (options.serializer !== undefined && !isSerializerName(options.serializer)) {
    throw InvalidOptionError.expected(
      `${name}: serializer`,
      "'json', 'msgpack' or 'yaml'",
      options.serializer,
    );
  }
  if (options.compression !== undefined && !isCompressionMethod(options.compression)) {
    throw InvalidOptionError.expected(`${name}: compression`, COMPRESSION_METHODS_TEXT, options.compression);
  }
  positive('retryBackoffMaxSeconds');
  validateFlowOptions(name, options);
  if (
    options.guarantee !== undefined &&
    options.guarantee !== Guarantee.EFFECTIVELY_ONCE &&
    options.guarantee !== Guarantee.AT_LEAST_ONCE &&
    options.guarantee !== Guarantee.BULK
  ) {
    throw InvalidOptionError.expected(
      `${name}: guarantee`,
      "'effectively-once', 'at-least-once' or 'bulk'",
      options.guarantee,
    );
  }
  if (
    options.timeLimitSeconds !== undefined &&
    options.softTimeLimitSeconds !== undefined &&
    options.softTimeLimitSeconds > options.timeLimitSeconds
  ) {
    throw InvalidOptionError.expected(
      `${name}: softTimeLimitSeconds`,
      `at most timeLimitSeconds (${options.timeLimitSeconds})`,
      options.softTimeLimitSeconds,
    );
  }
  if (
    options.maxRetries !== undefined &&
    options.maxRetries !== null &&
    (!Number.isInteger(options.maxRetries) || options.maxRetries < 0)
  ) {
    throw InvalidOptionError.expected(`${name}: maxRetries`, 'an integer >= 0 or null', options.maxRetries);
  }
  if (
    options.defaultRetryDelaySeconds !== undefined &&
    (typeof options.defaultRetryDelaySeconds !== 'number' || options.defaultRetryDelaySeconds < 0)
  ) {
    throw InvalidOptionError.expected(
      `${name}: defaultRetryDelaySeconds`,
      'a number of seconds >= 0',
      options.defaultRetryDelaySeconds,
    );
  }
}

/** Checks the flow-control options: rates in Celery's syntax, per-key limits only with a key. */
function validateFlowOptions(name: string, options: TaskOptions): void {
  if (options.rateLimit !== undefined) parseRate(options.rateLimit, `${name}: rateLimit`);
  if (options.keyRateLimit !== undefined) parseRate(options.keyRateLimit, `${name}: keyRateLimit`);
  if (
    options.keyConcurrency !== undefined &&
    (!Number.isInteger(options.keyConcurrency) || options.keyConcurrency < 1)
  ) {
    throw InvalidOptionError.expected(`${name}: keyConcurrency`, 'an integer >= 1', options.keyConcurrency);
  }
  if (options.rateLimitKey !== undefined) {
    validateRateLimitKey(`${name}: rateLimitKey`, options.rateLimitKey);
  } else if (options.keyRateLimit !== undefined || options.keyConcurrency !== undefined) {
    throw InvalidOptionError.expected(
      `${name}: rateLimitKey`,
      'set when keyRateLimit or keyConcurrency is (where the key comes from)',
      undefined,
    );
  }
}
