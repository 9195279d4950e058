/**
 * `GroupResult`: the results of a group's members, in order (Celery's `GroupResult`). `save()` writes Celery's
 * `celery-taskset-meta-<id>` record (`{"result": [[id, null], [[[member, null], null], ...]]}`), so Python's
 * `GroupResult.restore(id)` reads a group saved here, and `client.restoreGroup(id)` reads one Python saved.
 */
import { ResultTimeoutError } from './errors.js';
import type { ResultStore } from './ports/result-store.js';
import { READY_STATES, TaskState } from './protocol/states.js';
import { type AsyncResult, checkGetOptions, type GetOptions, type ResultHandle } from './result.js';

/** What a {@link GroupResult} needs from its client. */
export interface GroupBackendContext {
  readonly results: ResultStore;
  readonly now: () => number;
  /** Revokes one task. */
  readonly revoke: (taskId: string) => Promise<void>;
}

/**
 * A group's results.
 *
 * @example
 * const result = await group(add.s(1, 1), add.s(2, 2)).applyAsync();
 * await result.get({ timeoutMs: 10_000 }); // [2, 4]
 */
export class GroupResult<R = unknown> implements ResultHandle {
  /** The group id. */
  readonly id: string;
  /** The members' results, in group order. */
  readonly results: readonly AsyncResult<R>[];
  /** The result before this group in a workflow (a chain's previous step). */
  parent: ResultHandle | undefined;
  readonly #backend: GroupBackendContext;

  constructor(id: string, results: readonly AsyncResult<R>[], backend: GroupBackendContext) {
    this.id = id;
    this.results = [...results];
    this.#backend = backend;
  }

  /** Every member's state, in group order, in one `getMany` (`BatchGetItem`s of 100 on DynamoDB). */
  async #states(): Promise<string[]> {
    const metas = await this.#backend.results.getMany(this.results.map((result) => result.id));
    return metas.map((meta) => meta?.status ?? TaskState.PENDING);
  }

  /**
   * SUCCESS when every member succeeded, FAILURE when one failed, REVOKED when every member finished and one was
   * revoked, else PENDING (for a group inside a group): `state()` is ready exactly when `ready()` is.
   */
  async state(): Promise<string> {
    const states = await this.#states();
    if (states.every((state) => state === TaskState.SUCCESS)) return TaskState.SUCCESS;
    if (states.some((state) => state === TaskState.FAILURE)) return TaskState.FAILURE;
    if (states.every((state) => READY_STATES.has(state))) return TaskState.REVOKED;
    return TaskState.PENDING;
  }

  /** True once every member finished (SUCCESS, FAILURE or REVOKED). */
  async ready(): Promise<boolean> {
    return (await this.#states()).every((state) => READY_STATES.has(state));
  }

  /** True when every member succeeded. */
  async successful(): Promise<boolean> {
    return (await this.#states()).every((state) => state === TaskState.SUCCESS);
  }

  /** True when any member failed. */
  async failed(): Promise<boolean> {
    return (await this.#states()).some((state) => state === TaskState.FAILURE);
  }

  /** True while any member has not finished. */
  async waiting(): Promise<boolean> {
    return !(await this.ready());
  }

  /** How many members succeeded (Celery's `completed_count()`). */
  async completedCount(): Promise<number> {
    return (await this.#states()).filter((state) => state === TaskState.SUCCESS).length;
  }

  /**
   * Waits for every member and returns their results in group order (Celery's `join()`). With `propagate`
   * (the default) the first failed member's error is thrown; otherwise errors stand in the list.
   *
   * @throws {ResultTimeoutError} when `timeoutMs` passes first, naming the group.
   */
  async join(options: GetOptions = {}): Promise<R[]> {
    checkGetOptions(options);
    const start = this.#backend.now();
    const values: R[] = [];
    for (const result of this.results) {
      const left =
        options.timeoutMs === undefined ? undefined : options.timeoutMs - (this.#backend.now() - start);
      if (left !== undefined && left <= 0) {
        throw ResultTimeoutError.after(this.id, options.timeoutMs as number, 'PENDING');
      }
      values.push(await result.get({ ...options, ...(left === undefined ? {} : { timeoutMs: left }) }));
    }
    return values;
  }

  /** {@link join}: the members' results in group order. */
  get(options: GetOptions = {}): Promise<R[]> {
    return this.join(options);
  }

  /** Revokes every member. */
  async revoke(): Promise<void> {
    await Promise.all(this.results.map((result) => this.#backend.revoke(result.id)));
  }

  /** Saves the group in Celery's format, so `restore(id)` (here or in Python) finds it. */
  async save(): Promise<this> {
    await this.#backend.results.saveGroup(
      this.id,
      this.results.map((result) => result.id),
      this.#backend.now(),
    );
    return this;
  }

  /** Deletes the saved group (Celery's `GroupResult.delete()`). */
  async delete(): Promise<void> {
    await this.#backend.results.deleteChord(this.id);
  }

  /** Forgets every member's result. */
  async forget(): Promise<void> {
    await Promise.all(this.results.map((result) => result.forget()));
  }

  /** The number of members. */
  get length(): number {
    return this.results.length;
  }

  toString(): string {
    return this.id;
  }
}
