/**
 * `xmap`, `xstarmap` and `chunks` (Celery's `celery.map`, `celery.starmap`, `celery.chunks`): one message that
 * calls a task on every item, in turn, inside one worker run (`map`: `task(item)`, `starmap`: `task(...item)`),
 * and `chunks(task, items, n)`, a group of starmaps over chunks of `n` items. The messages are Celery's, so a
 * Python worker runs them with its built-in tasks; a celeriac worker runs them once
 * {@link registerMapTasks} has registered the same built-ins on its app.
 */
import type { App } from '../app.js';
import { NotRegistered } from '../errors.js';
import type { SignatureDict, SignatureOptions } from '../protocol/signature.js';
import type { AsyncResult } from '../result.js';
import type { TaskContext } from '../task.js';
import { CanvasError } from './canvas-error.js';
import { Group } from './group.js';
import { Canvas, type CanvasApplyOptions } from './signature.js';
import { plainSignature } from './signature-options.js';

type Form = 'xmap' | 'xstarmap';
const TASK_NAME: Readonly<Record<Form, string>> = { xmap: 'celery.map', xstarmap: 'celery.starmap' };

/** A map over items: one task call per item, in one message. */
export class MapSignature<R = unknown> extends Canvas<R[], unknown[]> {
  constructor(
    form: Form,
    task: Canvas | SignatureDict,
    items: readonly unknown[],
    options: SignatureOptions = {},
  ) {
    if (!Array.isArray(items)) throw CanvasError.notSignature(form, items);
    const client = task instanceof Canvas ? task.client : undefined;
    super(TASK_NAME[form], [], { task: plainSignature(task), it: [...items] }, options, form, true, client);
  }

  /** Sends the map to the mapped task's queue (Celery routes it by the task's name). */
  override applyAsync(
    args?: readonly unknown[],
    kwargs?: Readonly<Record<string, unknown>>,
    options: CanvasApplyOptions = {},
  ): Promise<AsyncResult<R[]>> {
    const queue = (this.kwargs.task as SignatureDict).options.queue;
    const routed = typeof queue === 'string' && options.queue === undefined ? { ...options, queue } : options;
    return super.applyAsync(args, kwargs, routed) as Promise<AsyncResult<R[]>>;
  }
}

/**
 * `task(item)` for every item, in one message (Celery's `xmap`; `task.map(items)` in Python).
 *
 * @example
 * const result = await xmap(double.s(), [1, 2, 3]).applyAsync(); // [2, 4, 6]
 */
export function xmap<R>(task: Canvas<R>, items: readonly unknown[]): MapSignature<R> {
  return new MapSignature<R>('xmap', task, items);
}

/** `task(...item)` for every item, in one message (Celery's `xstarmap`; `task.starmap(items)` in Python). */
export function xstarmap<R>(task: Canvas<R>, items: readonly (readonly unknown[])[]): MapSignature<R> {
  return new MapSignature<R>('xstarmap', task, items);
}

/**
 * Splits `items` (argument lists) into chunks of `n` and runs each chunk as one starmap, in parallel: a group
 * whose result is a list of lists (Celery's `chunks`; `task.chunks(items, n)` in Python).
 *
 * @throws {CanvasError} for `n` that is not a positive integer, or no items.
 */
export function chunks<R>(task: Canvas<R>, items: readonly (readonly unknown[])[], n: number): Group<R[]> {
  if (!Number.isInteger(n) || n < 1) {
    throw new CanvasError(`chunks needs a chunk size that is a positive integer; got ${String(n)}`, {
      form: 'chunks',
    });
  }
  if (!Array.isArray(items) || items.length === 0) {
    throw new CanvasError(
      `chunks needs at least one item (an argument list) to split; got ${Array.isArray(items) ? 'none' : String(items)}`,
      { form: 'chunks' },
    );
  }
  const parts: MapSignature<R>[] = [];
  for (let start = 0; start < items.length; start += n)
    parts.push(xstarmap(task, items.slice(start, start + n)));
  return new Group<R[]>(parts);
}

async function runEach(app: App, context: TaskContext, spread: boolean): Promise<unknown[]> {
  const { task, it } = context.kwargs as { task?: SignatureDict; it?: unknown[] };
  if (!task || typeof task.task !== 'string' || !Array.isArray(it)) {
    throw new CanvasError('celery.map/celery.starmap need kwargs {task, it}', {
      form: spread ? 'xstarmap' : 'xmap',
    });
  }
  const target = app.getTask(task.task);
  if (!target) throw NotRegistered.forTask(task.task);
  const out: unknown[] = [];
  for (const item of it) {
    const args = spread ? [...(item as unknown[]), ...task.args] : [item, ...task.args];
    out.push(await (target.fn as (this: TaskContext, ...a: unknown[]) => unknown).apply(context, args));
  }
  return out;
}

/**
 * Registers Celery's built-in `celery.map` and `celery.starmap` tasks on an app, so its workers run the maps
 * Python or TypeScript sends. The mapped task runs in the map's own run, with the map's context as `this`.
 */
export function registerMapTasks(app: App): void {
  app.task('celery.map', function (this: TaskContext) {
    return runEach(app, this, false);
  });
  app.task('celery.starmap', function (this: TaskContext) {
    return runEach(app, this, true);
  });
}
