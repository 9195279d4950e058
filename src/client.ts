/**
 * The client: sends tasks, hands out result handles and revokes. It needs the runtime's ports and, to merge a
 * registered task's defaults into a call, a way to look tasks up; nothing else. `App` exposes it as its sending
 * half; the worker uses one for follow-ups (callbacks, chain steps, chord bodies, retries).
 */
import type { ApplyOptions } from './apply-options.js';
import { checkCarried } from './canvas/apply-workflow.js';
import { InvalidOptionError } from './errors.js';
import type { ErrorTable } from './exception-table.js';
import { GroupResult } from './group-result.js';
import { Producer } from './producer.js';
import { buildResultMeta } from './protocol/result-meta.js';
import { revokedExceptionInfo } from './protocol/revoked-exception.js';
import { TaskState } from './protocol/states.js';
import { AsyncResult, type ResultBackendContext } from './result.js';
import { type Runtime, resultTtl } from './runtime.js';
import { type SendCall, type SendRequest, toSendRequest } from './send-request.js';
import type { TaskOptions } from './task-options.js';

/** How the client finds a registered task's defaults and the errors results are rebuilt with. */
export interface TaskLookup {
  /** The registered task called `name`, if any. */
  get(name: string): { readonly options: TaskOptions } | undefined;
  /** Errors the app rebuilds from stored failures. */
  readonly errors: ErrorTable;
}

/** Options of {@link Client.revoke}. */
export interface RevokeOptions {
  /** Stop the task if it is running (Celery's `terminate=True`); see docs/workers.md for what each pool can do. */
  readonly terminate?: boolean;
}

/** One call in {@link Client.sendTasks}. */
export interface TaskCall {
  readonly name: string;
  readonly args?: readonly unknown[];
  readonly kwargs?: Readonly<Record<string, unknown>>;
  readonly options?: ApplyOptions;
}

/** Sends tasks and reads their results. */
export class Client {
  readonly #tasks: TaskLookup;
  readonly #runtime: Runtime;
  readonly #producer: Producer;

  constructor(tasks: TaskLookup, runtime: Runtime) {
    this.#tasks = tasks;
    this.#runtime = runtime;
    this.#producer = new Producer(runtime);
  }

  /**
   * Validates a call into a send request, with the registered task's defaults applied (or `taskOptions`, for a
   * task the caller already holds).
   *
   * @throws {InvalidOptionError} naming the option at fault.
   */
  request(call: SendCall, taskOptions?: TaskOptions): SendRequest {
    return toSendRequest(call, {
      taskOptions: taskOptions ?? this.#tasks.get(call.name)?.options,
      queue: this.#runtime.settings.defaultQueue,
      routing: this.#runtime.settings.routing,
      origin: this.#runtime.origin,
      fairQueues: this.#runtime.settings.fairQueues,
      nowMs: this.#runtime.clock.now(),
      newId: () => globalThis.crypto.randomUUID(),
    });
  }

  /** Delivers send requests, batched per queue. */
  send(requests: readonly SendRequest[]): Promise<void> {
    return this.#producer.send(requests);
  }

  /**
   * Sends a task by name, for tasks defined elsewhere (in Python, say). Celery's `send_task`.
   *
   * @example
   * const result = await app.sendTask<number>('tasks.add', [2, 3]);
   */
  async sendTask<R = unknown>(
    name: string,
    args: readonly unknown[] = [],
    kwargs: Readonly<Record<string, unknown>> = {},
    options: ApplyOptions = {},
  ): Promise<AsyncResult<R>> {
    const call = { name, args, kwargs, options };
    const request = this.request(call);
    // The links' own sends are checked now too, as `applyAsync` checks them, not when the task has run.
    checkCarried(this, call);
    await this.send([request]);
    return this.sentResult<R>(request);
  }

  /**
   * Sends many tasks at once, batching messages per queue (`SendMessageBatch`).
   *
   * @throws {InvalidOptionError} for a bad call, or two calls with one `taskId`; then nothing is sent.
   */
  async sendTasks<R = unknown>(calls: readonly TaskCall[]): Promise<AsyncResult<R>[]> {
    const requests = calls.map((call) => {
      const request = this.request(call);
      checkCarried(this, call);
      return request;
    });
    // A task id runs once (the worker's claim refuses a second run of it): a second call under the same id would
    // be dropped in silence, so the whole batch is refused before anything is sent.
    const seen = new Map<string, number>();
    requests.forEach((request, index) => {
      const first = seen.get(request.taskId);
      if (first !== undefined) {
        throw InvalidOptionError.expected(
          `calls[${index}].options.taskId`,
          `an id no other call of the batch has (calls[${first}] has it; a task id runs once)`,
          request.taskId,
        );
      }
      seen.set(request.taskId, index);
    });
    await this.send(requests);
    return requests.map((request) => this.sentResult<R>(request));
  }

  /** The result handle of a task just sent: `ignored` when it was sent with `ignoreResult`. */
  sentResult<R = unknown>(request: SendRequest): AsyncResult<R> {
    const result = this.asyncResult<R>(request.taskId);
    result.ignored = request.ignoreResult === true;
    return result;
  }

  /** The result handle for a task id. */
  asyncResult<R = unknown>(taskId: string): AsyncResult<R> {
    return new AsyncResult<R>(taskId, this.#resultContext());
  }

  /** The result handle of a group: its id and its members' handles, in order. */
  groupResult<R = unknown>(groupId: string, members: readonly AsyncResult<R>[]): GroupResult<R> {
    const { results, clock } = this.#runtime;
    return new GroupResult<R>(groupId, members, {
      results,
      now: () => clock.now(),
      revoke: (taskId) => this.revoke(taskId),
    });
  }

  /**
   * A saved group (Celery's `GroupResult.restore(id)`): one saved here or by Python, or `undefined` when no
   * group of that id is saved.
   */
  async restoreGroup<R = unknown>(groupId: string): Promise<GroupResult<R> | undefined> {
    const ids = await this.#runtime.results.getGroupMembers(groupId);
    return ids
      ? this.groupResult<R>(
          groupId,
          ids.map((id) => this.asyncResult<R>(id)),
        )
      : undefined;
  }

  /** Saves a group's member ids in Celery's format (a chord's producer does this before sending the header). */
  saveGroup(groupId: string, memberIds: readonly string[]): Promise<void> {
    return this.#runtime.results.saveGroup(groupId, memberIds, this.#runtime.clock.now());
  }

  /**
   * Revokes a task: stores REVOKED so no worker will run it. A running task finishes, unless `terminate` is set:
   * then the worker running it learns of it at its next heartbeat and stops it (its thread or process is
   * terminated; an inline task's signal aborts). SQS has no broadcast channel, so revocation is a record workers
   * check when they claim a task and renew its lease, not a message.
   */
  async revoke(taskId: string, options: RevokeOptions = {}): Promise<void> {
    const { results, clock, settings } = this.#runtime;
    const nowMs = clock.now();
    await results.put(
      taskId,
      buildResultMeta({
        taskId,
        status: TaskState.REVOKED,
        result: revokedExceptionInfo(options.terminate ? 'terminated' : 'revoked'),
        dateDone: new Date(nowMs),
      }),
      { nowMs, ...resultTtl(settings) },
    );
  }

  #resultContext(): ResultBackendContext {
    const { results, clock, payloads } = this.#runtime;
    return {
      results,
      errors: this.#tasks.errors,
      now: () => clock.now(),
      resolveMeta: (meta) => payloads.resolveMeta(meta),
      forgetPayloads: (taskId) => payloads.forget(taskId),
      groupResult: (groupId, members) => this.groupResult(groupId, members),
    };
  }
}
