/**
 * Registered tasks: a name, a function, and options with Celery's meanings. A {@link Task} keeps the
 * function's parameter and return types, so `add.delay(2, 3)` accepts only what `add` takes and yields an
 * `AsyncResult` of what it returns.
 */
import type { ApplyOptions } from './apply-options.js';
import type { RetryOptions } from './errors.js';
import type { SignatureDict } from './protocol/signature.js';
import type { AsyncResult } from './result.js';

/** A task's behaviour, with Celery's option names where Celery has them. */
export interface TaskOptions {
  /** Default queue for this task. Default: the app's default queue. */
  readonly queue?: string;
  /** Store no result (Celery `ignore_result`). Default false. */
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
}

/** What a running task can see and do; the task function's `this`. */
export interface TaskContext {
  /** The task id. */
  readonly taskId: string;
  /** The registered name. */
  readonly name: string;
  /** How many times this task has been retried so far. */
  readonly retries: number;
  /** Positional arguments as received. */
  readonly args: readonly unknown[];
  /** Keyword arguments as received. */
  readonly kwargs: Readonly<Record<string, unknown>>;
  /** Aborted when the soft time limit passes (reason: `SoftTimeLimitExceeded`) or the worker must stop. */
  readonly signal: AbortSignal;
  /** The queue the task came from. */
  readonly queue: string;
  /** Id of the workflow's first task. */
  readonly rootId: string | null;
  /** Id of the task that sent this one. */
  readonly parentId: string | null;
  /** Group id, when part of a group. */
  readonly groupId: string | null;
  /** The worker's node name, e.g. `celeriac@host`. */
  readonly hostname: string;
  /** Stores a custom state (e.g. `PROGRESS`) with a meta that clients read through `AsyncResult.info()`. */
  updateState(state: string, meta?: unknown): Promise<void>;
  /**
   * Asks for this task to run again later; throw what it returns: `throw this.retry({ countdown: 10 })`.
   * Celery's `self.retry()`.
   */
  retry(options?: RetryOptions): Error;
}

/** A task function: takes the call's arguments (and kwargs, if any, as a last object); `this` is the context. */
export type TaskFunction<A extends unknown[], R> = (this: TaskContext, ...args: A) => R | Promise<R>;

/** What a task does when called through the queue; implemented by the app. */
export interface TaskSender {
  applyTask<R>(
    task: Task<never, R>,
    args: readonly unknown[],
    kwargs: Readonly<Record<string, unknown>>,
    options: ApplyOptions,
  ): Promise<AsyncResult<R>>;
}

/**
 * A registered task.
 *
 * @example
 * const add = app.task('tasks.add', (a: number, b: number) => a + b);
 * const result = await add.delay(2, 3);
 * await result.get({ timeoutMs: 5000 }); // 5
 */
export class Task<A extends unknown[], R> {
  readonly name: string;
  readonly fn: TaskFunction<A, R>;
  readonly options: TaskOptions;
  readonly #sender: TaskSender;

  constructor(name: string, fn: TaskFunction<A, R>, options: TaskOptions, sender: TaskSender) {
    this.name = name;
    this.fn = fn;
    this.options = options;
    this.#sender = sender;
  }

  /** Sends the task with these arguments (Celery's `delay`). */
  delay(...args: A): Promise<AsyncResult<Awaited<R>>> {
    return this.applyAsync(args);
  }

  /** Sends the task with arguments, keyword arguments and options (Celery's `apply_async`). */
  applyAsync(
    args?: A,
    kwargs?: Readonly<Record<string, unknown>>,
    options: ApplyOptions = {},
  ): Promise<AsyncResult<Awaited<R>>> {
    return this.#sender.applyTask(
      this as unknown as Task<never, Awaited<R>>,
      args ?? [],
      kwargs ?? {},
      options,
    );
  }

  /**
   * A signature of this task, to pass as `link`, `linkError` or a workflow step (Celery's `.s()`).
   * The parent's result is prepended to `args` when the signature is called as a callback.
   */
  s(...args: unknown[]): SignatureDict {
    return { task: this.name, args, kwargs: {}, options: {}, subtask_type: null, immutable: false };
  }

  /** An immutable signature: called with exactly these arguments (Celery's `.si()`). */
  si(...args: unknown[]): SignatureDict {
    return { task: this.name, args, kwargs: {}, options: {}, subtask_type: null, immutable: true };
  }
}
