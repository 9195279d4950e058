/**
 * Registered tasks: a name, a function, and options with Celery's meanings. A {@link Task} keeps the
 * function's parameter and return types, so `add.delay(2, 3)` accepts only what `add` takes and yields an
 * `AsyncResult` of what it returns.
 *
 * Arguments: the function receives the positional arguments only, exactly as its type says. Keyword arguments
 * (from `applyAsync(args, kwargs)`, or from a Python caller's `add.delay(a=1)`) arrive in the context, as
 * `this.kwargs`, never as an extra trailing argument its type would not show.
 */
import type { ApplyOptions } from './apply-options.js';
import { checkCarried } from './canvas/apply-workflow.js';
import type { Missing, Suffixes } from './canvas/canvas-types.js';
import { Signature } from './canvas/signature.js';
import type { Client } from './client.js';
import type { RetryOptions } from './errors.js';
import type { AsyncResult } from './result.js';
import type { TaskOptions } from './task-options.js';

export type { TaskOptions } from './task-options.js';

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
  /** Keyword arguments as received (the function's parameters are the positional arguments only). */
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
   * Has this task run again later, as Celery's `self.retry()`: it throws the `Retry` itself, so the run ends
   * here whether it is written `this.retry(...)` or `throw this.retry({ countdown: 10 })` (Celery's
   * `raise self.retry()`). A `try` around it must let a `Retry` through.
   */
  retry(options?: RetryOptions): never;
}

/** A task function: takes the call's positional arguments; `this` is the context (with `this.kwargs`). */
export type TaskFunction<A extends unknown[], R> = (this: TaskContext, ...args: A) => R | Promise<R>;

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
  readonly #client: Client;

  constructor(name: string, fn: TaskFunction<A, R>, options: TaskOptions, client: Client) {
    this.name = name;
    this.fn = fn;
    this.options = options;
    this.#client = client;
  }

  /** Sends the task with these arguments (Celery's `delay`). */
  delay(...args: A): Promise<AsyncResult<Awaited<R>>> {
    return this.applyAsync(args);
  }

  /** Sends the task with arguments, keyword arguments and options (Celery's `apply_async`). */
  async applyAsync(
    args?: A,
    kwargs?: Readonly<Record<string, unknown>>,
    options: ApplyOptions = {},
  ): Promise<AsyncResult<Awaited<R>>> {
    const call = { name: this.name, args: args ?? [], kwargs: kwargs ?? {}, options };
    const request = this.#client.request(call, this.options);
    checkCarried(this.#client, call);
    await this.#client.send([request]);
    return this.#client.sentResult<Awaited<R>>(request);
  }

  /**
   * A signature of this task, to pass as `link`, `linkError` or a workflow step (Celery's `.s()`).
   * The parent's result is prepended to `args` when the signature is called as a callback. Give the trailing
   * arguments: `add.s(3)` lacks `add`'s first parameter, which a chain fills with the previous result.
   */
  s<P extends Suffixes<A>>(...args: P): Signature<Awaited<R>, Missing<A, P>> {
    return new Signature<Awaited<R>, Missing<A, P>>(this.name, args, {}, {}, false, this.#client);
  }

  /** An immutable signature: called with exactly these arguments (Celery's `.si()`). */
  si(...args: A): Signature<Awaited<R>, unknown[]> {
    return new Signature<Awaited<R>, unknown[]>(this.name, args, {}, {}, true, this.#client);
  }
}
