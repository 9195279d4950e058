/**
 * celeriac's errors, named after Celery's where Celery has one. Wire-format errors live in
 * `protocol/errors.ts` and are re-exported here so callers import every error from one place.
 */
import { CeleriacError, type CeleriacErrorOptions } from './protocol/errors.js';

export {
  CeleriacError,
  type CeleriacErrorOptions,
  ContentDisallowed,
  DecodeError,
  EncodeError,
  InvalidTaskError,
  isCeleriacError,
  PayloadTooLargeError,
} from './protocol/errors.js';

/** Configuration is missing or wrong; the message says which setting and how to fix it. */
export class ImproperlyConfigured extends CeleriacError {
  override readonly name = 'ImproperlyConfigured';
  /** The setting at fault, e.g. `resultTable`. */
  readonly setting: string;

  constructor(setting: string, message: string, options: CeleriacErrorOptions = {}) {
    super(message, options);
    this.setting = setting;
  }
}

/** An option passed to a call is out of range or of the wrong type. */
export class InvalidOptionError extends CeleriacError {
  override readonly name = 'InvalidOptionError';
  readonly option: string;
  readonly value: unknown;

  constructor(option: string, expected: string, value: unknown, options: CeleriacErrorOptions = {}) {
    super(`Expected \`${option}\` to be ${expected}, got ${describeValue(value)}`, options);
    this.option = option;
    this.value = value;
  }
}

function describeValue(value: unknown): string {
  if (value instanceof Date)
    return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  return typeof value;
}

/** A worker received a task whose name no registered task has. Stored as FAILURE, like Celery. */
export class NotRegistered extends CeleriacError {
  override readonly name = 'NotRegistered';
  readonly taskName: string;

  constructor(taskName: string, options: CeleriacErrorOptions = {}) {
    super(
      `Task ${JSON.stringify(taskName)} is not registered in this app; register it with app.task(${JSON.stringify(taskName)}, fn) ` +
        'in the module the worker loads, or route it to a queue whose workers know it',
      options,
    );
    this.taskName = taskName;
  }
}

/** `AsyncResult.get()` waited `timeoutMs` and the task was still not ready. Celery's `TimeoutError`. */
export class ResultTimeoutError extends CeleriacError {
  override readonly name = 'ResultTimeoutError';
  readonly taskId: string;
  readonly timeoutMs: number;
  /** The last state seen. */
  readonly state: string;

  constructor(taskId: string, timeoutMs: number, state: string, options: CeleriacErrorOptions = {}) {
    super(
      `Task ${taskId} was not ready after ${timeoutMs} ms (state ${state}); is a worker consuming its queue? ` +
        'Raise `timeoutMs` for longer tasks.',
      options,
    );
    this.taskId = taskId;
    this.timeoutMs = timeoutMs;
    this.state = state;
  }
}

/**
 * A task failed remotely. `get()` throws this for a FAILURE whose exception type has no registered error
 * class: it carries the remote exception's type, arguments, module and traceback, as Celery stores them.
 */
export class TaskError extends CeleriacError {
  override readonly name: string = 'TaskError';
  readonly taskId: string;
  /** The remote exception's class name, e.g. `ValueError`. */
  readonly excType: string;
  /** The remote exception's module, e.g. `builtins`; null when unknown. */
  readonly excModule: string | null;
  /** The remote exception's arguments (Python `args`). */
  readonly excArgs: unknown[];
  /** The remote traceback, if stored. */
  readonly remoteTraceback: string | null;

  constructor(
    message: string,
    fields: {
      taskId: string;
      excType: string;
      excModule: string | null;
      excArgs: unknown[];
      remoteTraceback: string | null;
    },
    options: CeleriacErrorOptions = {},
  ) {
    super(message, options);
    this.taskId = fields.taskId;
    this.excType = fields.excType;
    this.excModule = fields.excModule;
    this.excArgs = fields.excArgs;
    this.remoteTraceback = fields.remoteTraceback;
  }
}

/** The task was revoked or expired before it ran (state REVOKED). Celery's `TaskRevokedError`. */
export class TaskRevokedError extends CeleriacError {
  override readonly name = 'TaskRevokedError';
  readonly taskId: string;
  /** `revoked`, `expired` or `terminated`, as Celery stores it. */
  readonly reason: string;

  constructor(taskId: string, reason: string, options: CeleriacErrorOptions = {}) {
    super(`Task ${taskId} was ${reason === 'expired' ? 'expired' : 'revoked'} (${reason})`, options);
    this.taskId = taskId;
    this.reason = reason;
  }
}

/** A task's soft time limit passed; its `signal` is aborted with this reason. */
export class SoftTimeLimitExceeded extends CeleriacError {
  override readonly name = 'SoftTimeLimitExceeded';
  readonly limitSeconds: number;

  constructor(limitSeconds: number, options: CeleriacErrorOptions = {}) {
    super(`Soft time limit (${limitSeconds} s) exceeded`, options);
    this.limitSeconds = limitSeconds;
  }
}

/** A task ran past its hard time limit; the worker stopped waiting for it and stored FAILURE. */
export class TimeLimitExceeded extends CeleriacError {
  override readonly name = 'TimeLimitExceeded';
  readonly limitSeconds: number;

  constructor(limitSeconds: number, options: CeleriacErrorOptions = {}) {
    super(`Time limit (${limitSeconds} s) exceeded`, options);
    this.limitSeconds = limitSeconds;
  }
}

/** A task asked to be retried more often than its `maxRetries` allows. */
export class MaxRetriesExceededError extends CeleriacError {
  override readonly name = 'MaxRetriesExceededError';
  readonly taskId: string;
  readonly retries: number;

  constructor(taskId: string, retries: number, options: CeleriacErrorOptions = {}) {
    super(`Task ${taskId} can't be retried: it has been retried ${retries} time(s), its maximum`, options);
    this.taskId = taskId;
    this.retries = retries;
  }
}

/**
 * The reason a stopping `celeriac worker` aborts the signal of a task still running at its shutdown deadline: a
 * task that stops because of it is handed back to the queue for another worker, not recorded as failed.
 */
export class WorkerShutdown extends CeleriacError {
  override readonly name = 'WorkerShutdown';
  constructor(message = 'The worker is shutting down; the task goes back to its queue') {
    super(message);
  }
}

/** An adapter call to a backing service failed (network, throttling, permissions). */
export class BackendError extends CeleriacError {
  override readonly name = 'BackendError';
  /** Service and operation, e.g. `DynamoDB GetItem`. */
  readonly operation: string;
  /** Whether trying again may succeed. */
  readonly retryable: boolean;

  constructor(operation: string, detail: string, retryable: boolean, options: CeleriacErrorOptions = {}) {
    super(`${operation} failed: ${detail}`, options);
    this.operation = operation;
    this.retryable = retryable;
  }
}

/** Options for a retry: when to run again and why. */
export interface RetryOptions {
  /** Seconds to wait before the next attempt. Default: the task's `defaultRetryDelaySeconds` (180). */
  readonly countdown?: number;
  /** Run the next attempt at this time instead. */
  readonly eta?: Date;
  /** The error that caused the retry; stored with the RETRY state and thrown when retries run out. */
  readonly exc?: unknown;
  /** Overrides the task's `maxRetries` for this decision. */
  readonly maxRetries?: number | null;
}

/**
 * Thrown by `this.retry()` inside a task: the worker stores RETRY and sends the same task again, with the same
 * id and `retries + 1`. Celery's `Retry`.
 */
export class Retry extends CeleriacError {
  override readonly name = 'Retry';
  readonly options: RetryOptions;

  constructor(options: RetryOptions = {}) {
    const reason = options.exc instanceof Error ? `: ${options.exc.message}` : '';
    super(`Retry requested${reason}`, { cause: options.exc });
    this.options = options;
  }
}

/** Thrown inside a task to stop without storing anything: the message is deleted. Celery's `Ignore`. */
export class Ignore extends CeleriacError {
  override readonly name = 'Ignore';
  constructor(message = 'Task asked to be ignored') {
    super(message);
  }
}

/**
 * Thrown inside a task to refuse the message. With `requeue` it is left on the queue for redelivery (and ends
 * in the dead-letter queue after `maxReceiveCount`); without, it is deleted and FAILURE is stored. Celery's
 * `Reject`.
 */
export class Reject extends CeleriacError {
  override readonly name = 'Reject';
  readonly requeue: boolean;
  constructor(reason: string, options: { requeue?: boolean } = {}) {
    super(reason);
    this.requeue = options.requeue ?? false;
  }
}
