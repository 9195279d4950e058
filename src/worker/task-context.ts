/** The `this` of a running task: its request's fields, its signal, and `updateState`/`retry`. */

import { Retry, type RetryOptions } from '../errors.js';
import type { TaskMessage } from '../protocol/task-message.js';
import { resultTtl } from '../runtime.js';
import type { TaskContext } from '../task.js';
import { Guarantee } from '../task-options.js';
import type { MessageScope } from './execution-context.js';
import type { TaskRecord } from './task-record.js';

/** Builds the context of one run. */
export function createTaskContext(
  scope: MessageScope,
  message: TaskMessage,
  record: TaskRecord,
  signal: AbortSignal,
): TaskContext {
  const { headers } = message;
  const { results, payloads, settings } = scope.runtime;
  return {
    taskId: headers.id,
    name: headers.task,
    retries: headers.retries,
    args: message.args,
    kwargs: message.kwargs,
    signal,
    queue: scope.ctx.queueName,
    rootId: headers.root_id,
    parentId: headers.parent_id,
    groupId: headers.group,
    hostname: scope.ctx.identity.hostname,
    updateState: async (state: string, meta?: unknown) => {
      // Only while this run holds the claim: progress reported after a time limit cannot replace FAILURE.
      const stored = await payloads.offloadMeta(record.meta(state, meta ?? null, null, false));
      // Without a claim (`guarantee: 'at-least-once'` or `'bulk'`), a progress write is refused only over a SUCCESS.
      const guarantee = scope.ctx.registry.get(headers.task)?.options.guarantee;
      const claimed = guarantee !== Guarantee.AT_LEAST_ONCE && guarantee !== Guarantee.BULK;
      await results.put(headers.id, stored, {
        nowMs: scope.now(),
        ...(claimed ? { owner: scope.owner } : {}),
        ...resultTtl(settings),
      });
    },
    retry: (options?: RetryOptions): never => {
      throw Retry.with(options);
    },
  };
}
