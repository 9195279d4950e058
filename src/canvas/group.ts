/**
 * `group(...)`: members run in parallel (Celery's `group`): one message per member, with the group's id in the
 * `group` header and the member's position in `group_index`. Nested groups are flattened into this one.
 */
import type { Client } from '../client.js';
import type { GroupResult } from '../group-result.js';
import type { SignatureDict, SignatureOptions } from '../protocol/signature.js';
import { CanvasError } from './canvas-error.js';
import type { ResultOf } from './canvas-types.js';
import { Canvas, type CanvasApplyOptions } from './signature.js';
import { plainSignature } from './signature-options.js';

function flatten(members: readonly Canvas[]): Canvas[] {
  return members.flatMap((member) => (member instanceof Group ? flatten(member.members) : [member]));
}

/** A group of canvas members; its result is a `GroupResult` of theirs, in order. */
export class Group<R = unknown> extends Canvas<R[], unknown[]> {
  constructor(members: readonly Canvas[], options: SignatureOptions = {}, client?: Client) {
    for (const member of members)
      if (!(member instanceof Canvas)) throw CanvasError.notSignature('group', member);
    const flat = flatten(members);
    if (flat.length === 0) throw CanvasError.empty('group');
    super('celery.group', [], { tasks: flat }, options, 'group', false, client);
  }

  /** The members, in order. */
  get members(): readonly Canvas[] {
    return this.kwargs.tasks as Canvas[];
  }

  override parts(): Canvas[] {
    return [...this.members];
  }

  /**
   * Links a callback to the group: as Celery, to the first member only, made immutable (it cannot receive the
   * other members' results; use a chord for that).
   */
  override link<S extends SignatureDict | Canvas>(callback: S): S {
    (this.members[0] as Canvas).link(immutableCopy(callback));
    return callback;
  }

  /** Links an errback to every member (any may fail), made immutable, as Celery does. */
  override linkError<S extends SignatureDict | Canvas>(errback: S): S {
    for (const member of this.members) member.linkError(immutableCopy(errback));
    return errback;
  }

  override delay(...args: unknown[]): Promise<GroupResult<R>> {
    return this.applyAsync(args);
  }

  /** Sends every member: partial `args` are prepended to each mutable member's. */
  override applyAsync(
    args?: readonly unknown[],
    kwargs?: Readonly<Record<string, unknown>>,
    options: CanvasApplyOptions = {},
  ): Promise<GroupResult<R>> {
    return super.applyAsync(args, kwargs, options) as Promise<GroupResult<R>>;
  }
}

function immutableCopy(signature: SignatureDict | Canvas): SignatureDict {
  return { ...plainSignature(signature), immutable: true };
}

/**
 * Groups members to run in parallel. The result type is the list of the members' result types.
 *
 * @throws {CanvasError} for an empty group, or a member that is not a signature.
 * @example
 * const result = await group(add.s(1, 1), add.s(2, 2)).applyAsync();
 * await result.get(); // [2, 4]
 */
export function group<const T extends readonly Canvas[]>(...members: T): Group<ResultOf<T[number]>> {
  return new Group<ResultOf<T[number]>>(members);
}
