/** The inline pool: task functions run in the worker's own event loop. */

import { runAsTask } from '../../current-task.js';
import { type Pool, type PoolJob, PoolKind } from './pool.js';
import { classifyRunError, type RunResult } from './run-result.js';

/**
 * Calls the function in the worker's event loop, with `this` = the context. Cheapest, and right for I/O-bound
 * tasks; a function that never yields blocks every other task of the worker, and nothing can stop it: at the
 * hard limit the worker stops waiting for it and it runs on in the background.
 */
export class InlinePool implements Pool {
  readonly kind = PoolKind.INLINE;
  readonly size: number;

  constructor(size = Number.POSITIVE_INFINITY) {
    this.size = size;
  }

  async start(): Promise<void> {}

  async run(job: PoolJob): Promise<RunResult> {
    try {
      const { context } = job;
      const call = () => job.fn.apply(context, [...context.args]);
      return {
        kind: 'success',
        value: await runAsTask({ taskId: context.taskId, rootId: context.rootId }, call),
      };
    } catch (error) {
      return classifyRunError(error);
    }
  }

  async close(): Promise<void> {}
}
