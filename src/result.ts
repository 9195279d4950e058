/**
 * `AsyncResult`: a handle on a task's state and result, read from the result store. Reads are eventually
 * consistent and cheap; `get()` polls with backoff until the task is ready or the timeout passes, and caches
 * a ready meta, as Celery's client does.
 */

import { BackendError, InvalidOptionError, ResultTimeoutError, TaskRevokedError } from './errors.js';
import type { ErrorTable } from './exception-table.js';
import type { ResultStore } from './ports/result-store.js';
import { type ExceptionInfo, isExceptionInfo } from './protocol/exception-info.js';
import { pendingResultMeta, type ResultMeta } from './protocol/result-meta.js';
import { revokedExceptionInfo } from './protocol/revoked-exception.js';
import { READY_STATES, TaskState } from './protocol/states.js';

/** Options for {@link AsyncResult.get}. */
export interface GetOptions {
  /** Give up after this long and throw {@link ResultTimeoutError}. Default: wait forever. */
  readonly timeoutMs?: number;
  /**
   * First pause between polls. Default 15 ms, so a task that finishes within a round trip or two is seen at once;
   * each pause grows by half, up to `maxIntervalMs`.
   */
  readonly intervalMs?: number;
  /** Longest pause between polls. Default 1000 ms. */
  readonly maxIntervalMs?: number;
  /** Throw the task's error when it failed or was revoked (default true); otherwise resolve with the error. */
  readonly propagate?: boolean;
  /** Stops waiting early (rejects with the signal's reason). */
  readonly signal?: AbortSignal;
}

/**
 * Refuses wait options that would never time out or poll without pause: a `timeoutMs` that is not a number (NaN
 * compares false with everything), an interval below 1 ms.
 *
 * @throws {InvalidOptionError} naming the option.
 */
export function checkGetOptions(options: GetOptions): void {
  const { timeoutMs, intervalMs, maxIntervalMs } = options;
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs))) {
    throw InvalidOptionError.expected('timeoutMs', 'a number of milliseconds', timeoutMs);
  }
  for (const [option, value] of [
    ['intervalMs', intervalMs],
    ['maxIntervalMs', maxIntervalMs],
  ] as const) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 1)) {
      throw InvalidOptionError.expected(option, 'a number of milliseconds >= 1', value);
    }
  }
}

/** What every result handle answers: a task's {@link AsyncResult}, a group's `GroupResult`. */
export interface ResultHandle {
  /** The task or group id. */
  readonly id: string;
  /** The result before this one in a workflow (a chain's previous step, a chord body's header group). */
  parent: ResultHandle | undefined;
  ready(): Promise<boolean>;
  successful(): Promise<boolean>;
  failed(): Promise<boolean>;
  get(options?: GetOptions): Promise<unknown>;
}

/** What an {@link AsyncResult} needs from its app. */
export interface ResultBackendContext {
  /**
   * The handle of a group child (`[[group id, parent], [members...]]` in `children`), given its member handles.
   * Without it, group children are listed by their members.
   */
  readonly groupResult?: (groupId: string, members: AsyncResult[]) => ResultHandle;
  readonly results: ResultStore;
  readonly errors: ErrorTable;
  /** Deletes stored payloads of a task (large results), used by `forget()`. */
  readonly forgetPayloads?: (taskId: string) => Promise<void>;
  /** Resolves a stored large-result claim into the real meta. */
  readonly resolveMeta?: (meta: ResultMeta) => Promise<ResultMeta>;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now?: () => number;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A task's pending or finished result.
 *
 * @example
 * const result = await add.delay(2, 3);
 * const sum = await result.get({ timeoutMs: 10_000 }); // 5
 */
export class AsyncResult<R = unknown> implements ResultHandle {
  /** The task id. */
  readonly id: string;
  /**
   * The result before this one in a workflow: a chain step's previous step, a chord body's header
   * `GroupResult`. Set on the handles a workflow send returns (Celery's `AsyncResult.parent`).
   */
  parent: ResultHandle | undefined;
  /**
   * Whether the task was sent with `ignoreResult` (its own or the call's), so no result will be stored: `get()`
   * then resolves `undefined` at once instead of waiting for one (Celery's `AsyncResult.ignored`).
   */
  ignored = false;
  readonly #backend: ResultBackendContext;
  #cached: ResultMeta | undefined;

  constructor(id: string, backend: ResultBackendContext) {
    this.id = id;
    this.#backend = backend;
  }

  /** The stored meta (Celery's field names), or a PENDING meta when nothing is stored yet. */
  async meta(): Promise<ResultMeta> {
    if (this.#cached) return this.#cached;
    const stored = await this.#backend.results.get(this.id);
    if (!stored) return pendingResultMeta(this.id);
    const meta = this.#backend.resolveMeta ? await this.#backend.resolveMeta(stored) : stored;
    if (READY_STATES.has(meta.status)) this.#cached = meta;
    return meta;
  }

  /** The current state: PENDING, STARTED, RETRY, SUCCESS, FAILURE, REVOKED, or a custom state. */
  async state(): Promise<string> {
    return (await this.meta()).status;
  }

  /** The stored result payload: the return value, the progress meta, or the exception info. */
  async info(): Promise<unknown> {
    return (await this.meta()).result;
  }

  /** True once the task finished: SUCCESS, FAILURE or REVOKED. */
  async ready(): Promise<boolean> {
    return READY_STATES.has(await this.state());
  }

  /** True when the task succeeded. */
  async successful(): Promise<boolean> {
    return (await this.state()) === TaskState.SUCCESS;
  }

  /** True when the task failed. */
  async failed(): Promise<boolean> {
    return (await this.state()) === TaskState.FAILURE;
  }

  /** The remote traceback of a failed or retried task, else null. */
  async traceback(): Promise<string | null> {
    return (await this.meta()).traceback;
  }

  /**
   * Waits for the task to finish and returns its result, or throws its error.
   *
   * @throws {ResultTimeoutError} when `timeoutMs` passes first.
   * @throws {InvalidOptionError} for a `timeoutMs` that is not a number, or an interval below 1 ms.
   * @throws the task's error (a registered error class or {@link TaskError}) for FAILURE, and
   *   {@link TaskRevokedError} for REVOKED, unless `propagate` is false.
   */
  async get(options: GetOptions = {}): Promise<R> {
    checkGetOptions(options);
    if (this.ignored) return undefined as R;
    const sleep = this.#backend.sleep ?? defaultSleep;
    const now = this.#backend.now ?? Date.now;
    const start = now();
    let interval = options.intervalMs ?? 15;
    const maxInterval = options.maxIntervalMs ?? 1000;
    for (;;) {
      options.signal?.throwIfAborted();
      let meta: ResultMeta;
      try {
        meta = await this.meta();
      } catch (error) {
        // A read that failed for a reason that may pass (throttling, a dropped connection) is one poll missed,
        // not the task's outcome: keep polling until the timeout.
        if (!(error instanceof BackendError && error.retryable)) throw error;
        meta = pendingResultMeta(this.id);
      }
      if (READY_STATES.has(meta.status)) return this.#settle(meta, options.propagate ?? true);
      if (options.timeoutMs !== undefined) {
        const left = options.timeoutMs - (now() - start);
        if (left <= 0) throw ResultTimeoutError.after(this.id, options.timeoutMs, meta.status);
        interval = Math.min(interval, left);
      }
      await sleep(interval, options.signal);
      interval = Math.min(maxInterval, Math.ceil(interval * 1.5));
    }
  }

  #settle(meta: ResultMeta, propagate: boolean): R {
    if (meta.status === TaskState.SUCCESS) return meta.result as R;
    const error = this.#errorFor(meta);
    if (propagate) throw error;
    return error as R;
  }

  #errorFor(meta: ResultMeta): Error {
    const info: ExceptionInfo = isExceptionInfo(meta.result)
      ? meta.result
      : meta.status === TaskState.REVOKED
        ? revokedExceptionInfo('revoked')
        : { exc_type: 'Exception', exc_message: [String(meta.result)], exc_module: 'builtins' };
    const error = this.#backend.errors.toError(info, this.id, meta.traceback);
    if (meta.status === TaskState.REVOKED && !(error instanceof TaskRevokedError)) {
      return TaskRevokedError.forTask(this.id, 'revoked', { cause: error });
    }
    return error;
  }

  /**
   * Handles on the tasks this task sent (its link callbacks, next chain step, a group it started), read from
   * the stored `children` of a finished task; empty while it runs or when it sent nothing. Celery's
   * `AsyncResult.children`.
   */
  async children(): Promise<ResultHandle[]> {
    const children = (await this.meta()).children;
    if (!Array.isArray(children)) return [];
    return children.flatMap((tuple) => {
      const handle = this.#fromTuple(tuple);
      return handle ? [handle] : [];
    });
  }

  #fromTuple(tuple: unknown): ResultHandle | undefined {
    if (!Array.isArray(tuple) || !Array.isArray(tuple[0])) return undefined;
    const id = tuple[0][0];
    if (typeof id !== 'string') return undefined;
    if (Array.isArray(tuple[1])) {
      const members = tuple[1].flatMap((member) => {
        const handle = this.#fromTuple(member);
        return handle instanceof AsyncResult ? [handle] : [];
      });
      return this.#backend.groupResult?.(id, members) ?? new AsyncResult(id, this.#backend);
    }
    return new AsyncResult(id, this.#backend);
  }

  /**
   * Waits for this task and every task it started, depth first, yielding `[handle, value]` for each (Celery's
   * `collect()`): this task first, then its children and theirs.
   */
  async *collect(options: GetOptions = {}): AsyncGenerator<[ResultHandle, unknown]> {
    yield [this, await this.get(options)];
    for (const child of await this.children()) {
      if (child instanceof AsyncResult) yield* child.collect(options);
      else yield [child, await child.get(options)];
    }
  }

  /** Deletes the stored result (and any large-payload objects), as Celery's `forget()` does. */
  async forget(): Promise<void> {
    this.#cached = undefined;
    await Promise.all([this.#backend.results.forget(this.id), this.#backend.forgetPayloads?.(this.id)]);
  }

  toString(): string {
    return this.id;
  }
}
