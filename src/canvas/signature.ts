/**
 * Signatures: a task call that can be passed around, sent later, or made part of a workflow (Celery's
 * `Signature`, `task.s()`, `task.si()`, `signature('name', ...)`).
 *
 * A signature *is* Celery's signature dict (`task`, `args`, `kwargs`, `options`, `subtask_type`, `immutable`,
 * in that order, options in Celery's spelling), so it can stand wherever a {@link SignatureDict} is taken
 * (`link`, `linkError`, chain steps, chord bodies) and Python reads it unchanged. `toDict()` gives the plain
 * dict, nested canvas objects included.
 *
 * Types. `Signature<R, In>`: `R` is what the task returns, `In` the leading parameters the signature still
 * lacks, which a parent's result fills (`add.s(3)` of `add(a, b)` lacks `[a: number]`). A chain accepts a step
 * only if it takes the previous step's result as its first missing parameter, or is immutable. Signatures by
 * name (`signature('remote.task')`) are unchecked: `In` is `unknown[]` and `R` is what the caller says.
 */
import type { ApplyOptions } from '../apply-options.js';
import type { Client } from '../client.js';
import type { SignatureDict, SignatureOptions } from '../protocol/signature.js';
import type { AsyncResult } from '../result.js';
import { applyWorkflow } from './apply-workflow.js';
import { CanvasError } from './canvas-error.js';
import { type SignatureLike, toCeleryOptions } from './signature-options.js';

/** Options for sending a canvas: {@link ApplyOptions}, and the client to send with when none is bound. */
export interface CanvasApplyOptions extends ApplyOptions {
  /** Send with this client (needed when no signature of the canvas came from a registered task). */
  readonly client?: Client;
  /**
   * The `reply_to` the workflow's frozen signatures carry (Celery's per-thread oid; meaningless on SQS).
   * Default: a random UUID per send.
   */
  readonly replyTo?: string;
}

function deepDict(value: unknown, seen: Set<object>, form: string): unknown {
  if (Array.isArray(value)) return value.map((item) => deepDict(item, seen, form));
  if (value instanceof Canvas) return value.toDictInner(seen);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepDict(v, seen, form)]));
  }
  return value;
}

/**
 * What every canvas object shares: the signature dict fields, options, links, the client it was built with.
 * `R` is the result type, `In` the parameters still missing (see the module notes).
 */
export abstract class Canvas<R = unknown, In extends unknown[] = unknown[]> implements SignatureLike {
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: SignatureOptions;
  subtask_type: string | null;
  immutable: boolean;
  [key: string]: unknown;
  declare readonly __result: R;
  declare readonly __missing: In;
  #client: Client | undefined;

  constructor(
    task: string,
    args: readonly unknown[],
    kwargs: Readonly<Record<string, unknown>>,
    options: SignatureOptions,
    subtaskType: string | null,
    immutable: boolean,
    client?: Client,
  ) {
    this.task = task;
    this.args = [...args];
    this.kwargs = { ...kwargs };
    this.options = { ...options };
    this.subtask_type = subtaskType;
    this.immutable = immutable;
    this.#client = client;
  }

  /** The plain signature dict (deep), keys in Celery's order. */
  toDict(): SignatureDict {
    return this.toDictInner(new Set());
  }

  /** @internal {@link toDict} with cycle detection. */
  toDictInner(seen: Set<object>): SignatureDict {
    const form = this.subtask_type ?? 'signature';
    if (seen.has(this)) throw CanvasError.cycle(form);
    seen.add(this);
    const dict: SignatureDict = {
      task: this.task,
      args: deepDict(this.args, seen, form) as unknown[],
      kwargs: deepDict(this.kwargs, seen, form) as Record<string, unknown>,
      options: deepDict(this.options, seen, form) as SignatureOptions,
      subtask_type: this.subtask_type,
      immutable: this.immutable,
    };
    seen.delete(this);
    return dict;
  }

  /** Plain JSON (what `JSON.stringify` writes): the signature dict. */
  toJSON(): SignatureDict {
    return this.toDict();
  }

  /** The client this canvas sends with: its own, else the first of its parts'. */
  get client(): Client | undefined {
    if (this.#client) return this.#client;
    for (const part of this.parts()) {
      const client = part.client;
      if (client) return client;
    }
    return undefined;
  }

  /** @internal The canvas objects directly inside this one. */
  parts(): Canvas[] {
    return [];
  }

  /**
   * Sets options (Celery's `.set()`), in place, and returns this signature. `immutable` switches the
   * partial-argument merge off or on.
   */
  set(options: ApplyOptions & { readonly immutable?: boolean }): this {
    const { immutable, ...rest } = options;
    if (immutable !== undefined) this.immutable = immutable;
    Object.assign(this.options, toCeleryOptions(rest));
    return this;
  }

  /** Adds a callback, called with this signature's result on success (Celery's `.link()`). Returns `callback`. */
  link<S extends SignatureDict | Canvas>(callback: S): S {
    this.#appendOption('link', callback);
    return callback;
  }

  /** Adds an errback, called with the failed task's id (Celery's `.link_error()`). Returns `errback`. */
  linkError<S extends SignatureDict | Canvas>(errback: S): S {
    this.#appendOption('link_error', errback);
    return errback;
  }

  #appendOption(key: 'link' | 'link_error', value: SignatureDict | Canvas): void {
    const existing = this.options[key];
    const list = Array.isArray(existing) ? existing : existing === undefined ? [] : [existing];
    this.options[key] = [...list, value];
  }

  /**
   * Sends the signature with partial arguments (Celery's `.delay()`): prepended to its own unless immutable.
   */
  delay(...args: In): Promise<unknown> {
    return this.applyAsync(args);
  }

  /**
   * Sends the signature (Celery's `.apply_async()`): partial `args` prepended (unless immutable), `kwargs`
   * merged over its own, `options` over its options.
   *
   * @throws {CanvasError} when no client is bound, or the canvas is empty or has a cycle.
   */
  applyAsync(
    args?: readonly unknown[],
    kwargs?: Readonly<Record<string, unknown>>,
    options: CanvasApplyOptions = {},
  ): Promise<unknown> {
    const { client: given, replyTo, ...apply } = options;
    const client = given ?? this.client;
    if (!client) return Promise.reject(CanvasError.unbound(this.subtask_type ?? 'signature'));
    return applyWorkflow(
      client,
      this.toDict(),
      { args: args ?? [], kwargs: kwargs ?? {}, options: toCeleryOptions(apply) },
      replyTo,
    );
  }

  /** @internal The client this object was built with, for clones. */
  protected ownClient(): Client | undefined {
    return this.#client;
  }
}

/** A signature of one task. */
export class Signature<R = unknown, In extends unknown[] = unknown[]> extends Canvas<R, In> {
  constructor(
    task: string,
    args: readonly unknown[] = [],
    kwargs: Readonly<Record<string, unknown>> = {},
    options: SignatureOptions = {},
    immutable = false,
    client?: Client,
  ) {
    super(task, args, kwargs, options, null, immutable, client);
  }

  /**
   * A copy, with partial arguments merged as Celery merges them (`clone(args, kwargs, options)`): `args`
   * prepended unless immutable, `kwargs` merged over, options merged over.
   */
  clone(
    args: readonly unknown[] = [],
    kwargs: Readonly<Record<string, unknown>> = {},
    options: ApplyOptions = {},
  ) {
    const merged = this.immutable
      ? { args: this.args, kwargs: this.kwargs }
      : { args: [...args, ...this.args], kwargs: { ...this.kwargs, ...kwargs } };
    const copy = new Signature<R, In>(
      this.task,
      merged.args,
      merged.kwargs,
      structuredCloneOptions(this.options),
      this.immutable,
      this.ownClient(),
    );
    return copy.set(options);
  }

  override delay(...args: In): Promise<AsyncResult<R>> {
    return this.applyAsync(args);
  }

  override applyAsync(
    args?: readonly unknown[],
    kwargs?: Readonly<Record<string, unknown>>,
    options: CanvasApplyOptions = {},
  ): Promise<AsyncResult<R>> {
    return super.applyAsync(args, kwargs, options) as Promise<AsyncResult<R>>;
  }
}

/** A copy of options deep enough that links added to the copy do not reach the original. */
function structuredCloneOptions(options: SignatureOptions): SignatureOptions {
  const copy: SignatureOptions = { ...options };
  for (const key of ['link', 'link_error'] as const) {
    const list = copy[key];
    if (Array.isArray(list)) copy[key] = [...list];
  }
  return copy;
}

/**
 * A signature of a task by name, for tasks registered elsewhere (in Python, say). Celery's `signature()`.
 * Arguments are not type-checked; name the result type if you know it.
 *
 * @example
 * const remote = signature<number>('tasks.add', [2, 3], {}, { queue: 'py' }, { client: app.client });
 */
export function signature<R = unknown>(
  name: string,
  args: readonly unknown[] = [],
  kwargs: Readonly<Record<string, unknown>> = {},
  options: ApplyOptions = {},
  bind: { readonly client?: Client; readonly immutable?: boolean } = {},
): Signature<R, unknown[]> {
  if (typeof name !== 'string' || name.length === 0) throw CanvasError.notSignature('signature', name);
  return new Signature<R, unknown[]>(
    name,
    args,
    kwargs,
    toCeleryOptions(options),
    bind.immutable,
    bind.client,
  );
}
