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
export { LibraryNotLoaded } from './protocol/lazy-library.js';
export { SecurityError, SecurityReason } from './protocol/security-error.js';

/** Configuration is missing or wrong; the message says which setting and how to fix it. */
export class ImproperlyConfigured extends CeleriacError {
  override readonly name = 'ImproperlyConfigured';
  /** The setting at fault, e.g. `resultTable`. */
  readonly setting: string;

  constructor(message: string, options: CeleriacErrorOptions & { readonly setting: string }) {
    super(message, options);
    this.setting = options.setting;
  }
}

/** An option passed to a call is out of range or of the wrong type. */
export class InvalidOptionError extends CeleriacError {
  override readonly name = 'InvalidOptionError';
  readonly option: string;
  readonly value: unknown;

  constructor(
    message: string,
    options: CeleriacErrorOptions & { readonly option: string; readonly value: unknown },
  ) {
    super(message, options);
    this.option = options.option;
    this.value = options.value;
  }

  /** ``Expected `option` to be <expected>, got <value>``: the message every option check uses. */
  static expected(
    option: string,
    expected: string,
    value: unknown,
    options: CeleriacErrorOptions = {},
  ): InvalidOptionError {
    return new InvalidOptionError(`Expected \`${option}\` to be ${expected}, got ${describeValue(value)}`, {
      ...options,
      option,
      value,
    });
  }
}

function describeValue(value: unknown): string {
  if (value instanceof Date)
    return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor
      ?.name;
    return typeof name === 'string' && name !== '' && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return `a ${typeof value}`;
}

/** A worker received a task whose name no registered task has. Stored as FAILURE, like Celery. */
export class NotRegistered extends CeleriacError {
  override readonly name = 'NotRegistered';
  readonly taskName: string;

  constructor(message: string, options: CeleriacErrorOptions & { readonly taskName: string }) {
    super(message, options);
    this.taskName = options.taskName;
  }

  /** `taskName` is not registered, with how to register or route it. */
  static forTask(taskName: string, options: CeleriacErrorOptions = {}): NotRegistered {
    return new NotRegistered(
      `Task ${JSON.stringify(taskName)} is not registered in this app; register it with app.task(${JSON.stringify(taskName)}, fn) ` +
        'in the module the worker loads, or route it to a queue whose workers know it',
      { ...options, taskName },
    );
  }
}

/** `AsyncResult.get()` waited `timeoutMs` and the task was still not ready. Celery's `TimeoutError`. */
export class ResultTimeoutError extends CeleriacError {
  override readonly name = 'ResultTimeoutError';
  readonly taskId: string;
  readonly timeoutMs: number;
  /** The last state seen. */
  readonly state: string;

  constructor(
    message: string,
    options: CeleriacErrorOptions & {
      readonly taskId: string;
      readonly timeoutMs: number;
      readonly state: string;
    },
  ) {
    super(message, options);
    this.taskId = options.taskId;
    this.timeoutMs = options.timeoutMs;
    this.state = options.state;
  }

  /** The task was not ready after `timeoutMs`, in `state`. */
  static after(
    taskId: string,
    timeoutMs: number,
    state: string,
    options: CeleriacErrorOptions = {},
  ): ResultTimeoutError {
    return new ResultTimeoutError(
      `Task ${taskId} was not ready after ${timeoutMs} ms (state ${state}); is a worker consuming its queue? ` +
        'Raise `timeoutMs` for longer tasks.',
      { ...options, taskId, timeoutMs, state },
    );
  }
}

/** The fields of a {@link TaskError}: the remote exception as Celery stored it. */
export interface TaskErrorFields {
  readonly taskId: string;
  /** The remote exception's class name, e.g. `ValueError`. */
  readonly excType: string;
  /** The remote exception's module, e.g. `builtins`; null when unknown. */
  readonly excModule: string | null;
  /** The remote exception's arguments (Python `args`). */
  readonly excArgs: unknown[];
  /** The remote traceback, if stored. */
  readonly remoteTraceback: string | null;
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

  constructor(message: string, options: CeleriacErrorOptions & TaskErrorFields) {
    super(message, options);
    this.taskId = options.taskId;
    this.excType = options.excType;
    this.excModule = options.excModule;
    this.excArgs = options.excArgs;
    this.remoteTraceback = options.remoteTraceback;
  }
}

/** The task was revoked or expired before it ran (state REVOKED). Celery's `TaskRevokedError`. */
export class TaskRevokedError extends CeleriacError {
  override readonly name = 'TaskRevokedError';
  readonly taskId: string;
  /** `revoked`, `expired` or `terminated`, as Celery stores it. */
  readonly reason: string;

  constructor(
    message: string,
    options: CeleriacErrorOptions & { readonly taskId: string; readonly reason: string },
  ) {
    super(message, options);
    this.taskId = options.taskId;
    this.reason = options.reason;
  }

  /** Task `taskId` was revoked (or expired) for `reason`. */
  static forTask(taskId: string, reason: string, options: CeleriacErrorOptions = {}): TaskRevokedError {
    return new TaskRevokedError(
      `Task ${taskId} was ${reason === 'expired' ? 'expired' : 'revoked'} (${reason})`,
      {
        ...options,
        taskId,
        reason,
      },
    );
  }
}

/** A task's soft time limit passed; its `signal` is aborted with this reason. */
export class SoftTimeLimitExceeded extends CeleriacError {
  override readonly name = 'SoftTimeLimitExceeded';
  readonly limitSeconds: number;

  constructor(message: string, options: CeleriacErrorOptions & { readonly limitSeconds: number }) {
    super(message, options);
    this.limitSeconds = options.limitSeconds;
  }

  /** The soft limit of `limitSeconds` passed. */
  static after(limitSeconds: number, options: CeleriacErrorOptions = {}): SoftTimeLimitExceeded {
    return new SoftTimeLimitExceeded(`Soft time limit (${limitSeconds} s) exceeded`, {
      ...options,
      limitSeconds,
    });
  }
}

/** A task ran past its hard time limit; the worker stopped waiting for it and stored FAILURE. */
export class TimeLimitExceeded extends CeleriacError {
  override readonly name = 'TimeLimitExceeded';
  readonly limitSeconds: number;

  constructor(message: string, options: CeleriacErrorOptions & { readonly limitSeconds: number }) {
    super(message, options);
    this.limitSeconds = options.limitSeconds;
  }

  /** The hard limit of `limitSeconds` passed. */
  static after(limitSeconds: number, options: CeleriacErrorOptions = {}): TimeLimitExceeded {
    return new TimeLimitExceeded(`Time limit (${limitSeconds} s) exceeded`, { ...options, limitSeconds });
  }
}

/** A task asked to be retried more often than its `maxRetries` allows. */
export class MaxRetriesExceededError extends CeleriacError {
  override readonly name = 'MaxRetriesExceededError';
  readonly taskId: string;
  readonly retries: number;

  constructor(
    message: string,
    options: CeleriacErrorOptions & { readonly taskId: string; readonly retries: number },
  ) {
    super(message, options);
    this.taskId = options.taskId;
    this.retries = options.retries;
  }

  /** Task `taskId` has been retried `retries` times, its maximum. */
  static forTask(
    taskId: string,
    retries: number,
    options: CeleriacErrorOptions = {},
  ): MaxRetriesExceededError {
    return new MaxRetriesExceededError(
      `Task ${taskId} can't be retried: it has been retried ${retries} time(s), its maximum`,
      { ...options, taskId, retries },
    );
  }
}

/**
 * The reason a stopping `celeriac worker` aborts the signal of a task still running at its shutdown deadline: a
 * task that stops because of it is handed back to the queue for another worker, not recorded as failed.
 */
export class WorkerShutdown extends CeleriacError {
  override readonly name = 'WorkerShutdown';
  constructor(
    message = 'The worker is shutting down; the task goes back to its queue',
    options: CeleriacErrorOptions = {},
  ) {
    super(message, options);
  }
}

/**
 * The reason a running task's signal aborts when its worker could not keep its claim alive (the claim store was
 * unreachable until the lease was about to end, or another delivery took the claim over). A task that stops
 * because of it is handed back to the queue, not recorded, so no second run ever overlaps the first unnoticed.
 */
export class ClaimLost extends CeleriacError {
  override readonly name = 'ClaimLost';
  readonly taskId: string;

  constructor(message: string, options: CeleriacErrorOptions & { readonly taskId: string }) {
    super(message, options);
    this.taskId = options.taskId;
  }
}

/** An adapter call to a backing service failed (network, throttling, permissions). */
export class BackendError extends CeleriacError {
  override readonly name = 'BackendError';
  /** Service and operation, e.g. `DynamoDB GetItem`. */
  readonly operation: string;
  /** Whether trying again may succeed. */
  readonly retryable: boolean;

  constructor(
    message: string,
    options: CeleriacErrorOptions & { readonly operation: string; readonly retryable: boolean },
  ) {
    super(message, options);
    this.operation = options.operation;
    this.retryable = options.retryable;
  }

  /** ``<operation> failed: <detail>``. */
  static failed(
    operation: string,
    detail: string,
    retryable: boolean,
    options: CeleriacErrorOptions = {},
  ): BackendError {
    return new BackendError(`${operation} failed: ${detail}`, { ...options, operation, retryable });
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

  constructor(message: string, options: CeleriacErrorOptions & { readonly retry: RetryOptions }) {
    super(message, options);
    this.options = options.retry;
  }

  /** A retry with these options; its cause is the error that caused it. */
  static with(retry: RetryOptions = {}): Retry {
    const reason = retry.exc instanceof Error ? `: ${retry.exc.message}` : '';
    return new Retry(`Retry requested${reason}`, { cause: retry.exc, retry });
  }
}

/** Thrown inside a task to stop without storing anything: the message is deleted. Celery's `Ignore`. */
export class Ignore extends CeleriacError {
  override readonly name = 'Ignore';
  constructor(message = 'Task asked to be ignored', options: CeleriacErrorOptions = {}) {
    super(message, options);
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
  constructor(reason: string, options: CeleriacErrorOptions & { readonly requeue?: boolean } = {}) {
    super(reason, options);
    this.requeue = options.requeue ?? false;
  }
}

/**
 * The worker thread or child process running a task ended before the task did (a crash, `process.exit`, running
 * out of memory). Celery's (billiard's) `WorkerLostError`.
 */
export class WorkerLostError extends CeleriacError {
  override readonly name = 'WorkerLostError';
  /** Stored as billiard's class, so Python readers rebuild the real one. */
  readonly excModule = 'billiard.exceptions';
  /** How the sandbox ended, e.g. `exitcode 1` or `signal 9 (SIGKILL)`. */
  readonly exit: string;

  constructor(message: string, options: CeleriacErrorOptions & { readonly exit: string }) {
    super(message, options);
    this.exit = options.exit;
  }

  /** Celery's message: `Worker exited prematurely: exitcode 1.` */
  static exited(exit: string, options: CeleriacErrorOptions = {}): WorkerLostError {
    return new WorkerLostError(`Worker exited prematurely: ${exit}.`, { ...options, exit });
  }
}
