/**
 * `chord(header, body)`: the header's members run in parallel, and when the last finishes the body is called
 * with their results, in header order (Celery's `chord`). Before the header is sent, the group is saved in
 * Celery's format; the worker that finishes the last member counts it and sends the body. A failed member
 * fails the body with `ChordError` naming it, and the body's errbacks run.
 */
import type { Client } from '../client.js';
import type { SignatureDict, SignatureOptions } from '../protocol/signature.js';
import type { AsyncResult } from '../result.js';
import { CanvasError } from './canvas-error.js';
import type { MissingOf, ResultOf, TakesFirst } from './canvas-types.js';
import { Group } from './group.js';
import { Canvas, type CanvasApplyOptions } from './signature.js';

/** A chord; its result is the body's. */
export class Chord<R = unknown> extends Canvas<R, unknown[]> {
  constructor(header: Group, body: Canvas, options: SignatureOptions = {}, client?: Client) {
    if (!(body instanceof Canvas)) throw CanvasError.notSignature('chord', body);
    super('celery.chord', [], { kwargs: {}, header, body }, options, 'chord', false, client);
  }

  /** The header group. */
  get header(): Group {
    return this.kwargs.header as Group;
  }

  /** The body, called with the header's results. */
  get body(): Canvas {
    return this.kwargs.body as Canvas;
  }

  override parts(): Canvas[] {
    return [this.header, this.body];
  }

  /** Links a callback to the body (Celery links a chord's callbacks to its body). */
  override link<S extends SignatureDict | Canvas>(callback: S): S {
    return this.body.link(callback);
  }

  /** Links an errback to the body (Celery's default: not to the header members). */
  override linkError<S extends SignatureDict | Canvas>(errback: S): S {
    return this.body.linkError(errback);
  }

  override delay(...args: unknown[]): Promise<AsyncResult<R>> {
    return this.applyAsync(args);
  }

  /** Sends the chord: partial `args` go to the header's members. Resolves to the body's result. */
  override applyAsync(
    args?: readonly unknown[],
    kwargs?: Readonly<Record<string, unknown>>,
    options: CanvasApplyOptions = {},
  ): Promise<AsyncResult<R>> {
    return super.applyAsync(args, kwargs, options) as Promise<AsyncResult<R>>;
  }
}

/** The error a chord body that cannot take the header's results gets. */
export interface BodyMismatch<Expected> {
  readonly 'chord body does not take the list of header results as its first missing argument': Expected;
}

type CheckedBody<B, Results> = Results extends readonly (infer E)[]
  ? unknown extends E
    ? B
    : TakesFirst<MissingOf<B>, Results> extends true
      ? B
      : B & BodyMismatch<Results>
  : B;

/**
 * A chord of `header` (a group, or a list of signatures) and `body`. TypeScript checks the body takes the list
 * of the header's results first. The header group's id is drawn when the chord is sent, as Celery does (a
 * group's own options are not kept; set options on the members or the chord).
 *
 * @throws {CanvasError} for an empty header or a body that is not a signature.
 * @example
 * const result = await chord([add.s(1, 1), add.s(2, 2)], tsum.s()).applyAsync();
 * await result.get(); // 6
 */
export function chord<const H extends readonly Canvas[] | Group, B extends Canvas>(
  header: H,
  body: B &
    CheckedBody<
      B,
      H extends Group<infer M> ? M[] : H extends readonly Canvas[] ? ResultOf<H[number]>[] : unknown[]
    >,
): Chord<ResultOf<B>> {
  // As Celery's `_maybe_group`: a header group gives its members; its own options (its id) do not carry over.
  const headerGroup = new Group(header instanceof Group ? header.members : (header as readonly Canvas[]));
  return new Chord<ResultOf<B>>(headerGroup, body);
}
