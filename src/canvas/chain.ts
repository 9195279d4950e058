/**
 * `chain(...)`: steps run one after another, each called with the previous step's result first (unless
 * immutable). Celery's `chain`: one message for the first step, the rest in its `embed.chain`, next step last;
 * a group followed by a step becomes a chord; nested chains are spliced in.
 */
import type { Client } from '../client.js';
import type { SignatureOptions } from '../protocol/signature.js';
import type { AsyncResult } from '../result.js';
import { CanvasError } from './canvas-error.js';
import type { CheckedSteps, Last, MissingOf, ResultOf } from './canvas-types.js';
import { Canvas, type CanvasApplyOptions } from './signature.js';

/** A chain of canvas steps; its result is the last step's. */
export class Chain<R = unknown, In extends unknown[] = unknown[]> extends Canvas<R, In> {
  constructor(steps: readonly Canvas[], options: SignatureOptions = {}, client?: Client) {
    if (steps.length === 0) throw CanvasError.empty('chain');
    for (const step of steps) if (!(step instanceof Canvas)) throw CanvasError.notSignature('chain', step);
    super('celery.chain', [], { tasks: [...steps] }, options, 'chain', false, client);
  }

  /** The steps, in order. */
  get steps(): readonly Canvas[] {
    return this.kwargs.tasks as Canvas[];
  }

  override parts(): Canvas[] {
    return [...this.steps];
  }

  override delay(...args: In): Promise<AsyncResult<R>> {
    return this.applyAsync(args);
  }

  /** Sends the chain: `args` go to the first step. Resolves to the last step's result, `.parent` walking back. */
  override applyAsync(
    args?: readonly unknown[],
    kwargs?: Readonly<Record<string, unknown>>,
    options: CanvasApplyOptions = {},
  ): Promise<AsyncResult<R>> {
    return super.applyAsync(args, kwargs, options) as Promise<AsyncResult<R>>;
  }
}

/**
 * Chains steps. TypeScript checks that each step takes the previous step's result as its first missing
 * argument (or is immutable, `.si()`).
 *
 * @throws {CanvasError} when given no step, or something that is not a signature.
 * @example
 * const result = await chain(add.s(1, 2), add.s(3), mul.s(10)).applyAsync();
 * await result.get(); // 60; result.parent is add(3)'s result
 */
export function chain<const T extends readonly [Canvas, ...Canvas[]]>(
  ...steps: T & NoInfer<CheckedSteps<T>>
): Chain<ResultOf<Last<T>>, MissingOf<T[0]>> {
  return new Chain<ResultOf<Last<T>>, MissingOf<T[0]>>(steps);
}
