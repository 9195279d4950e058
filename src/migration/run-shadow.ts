/**
 * A shadow run: the task of a message routed in shadow mode, run by celeriac beside Python's real run, with no
 * claim, no stored result, no follow-ups, and progress (`updateState`) dropped. Only a task marked shadow-safe
 * (`shadow: true`) runs; any other is skipped with a line that says why. Its result goes to the route store as a
 * shadow record (never the task's result item), once per task id.
 */
import { toExceptionInfo } from '../exception-table.js';
import type { ShadowRecord } from '../ports/route-store.js';
import type { TaskMessage } from '../protocol/task-message.js';
import type { TaskFunction } from '../task.js';
import type { MessageScope } from '../worker/execution-context.js';
import { runTask } from '../worker/run-task.js';
import { createTaskContext } from '../worker/task-context.js';
import { TaskRecord } from '../worker/task-record.js';
import type { MigrationRoutes } from './migration-routes.js';

/** What a shadow run did: `stored` (or found stored before) with its record, or `skipped` with why. */
export type ShadowRun =
  | { readonly kind: 'stored'; readonly record: ShadowRecord }
  | { readonly kind: 'skipped'; readonly why: string };

function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value ?? null);
  } catch (error) {
    return JSON.stringify(`<not JSON: ${(error as Error).message}>`);
  }
}

/** Runs the message's task as a shadow, unless it ran before or may not. */
export async function runShadow(
  scope: MessageScope,
  migration: MigrationRoutes,
  message: TaskMessage,
): Promise<ShadowRun> {
  const { headers } = message;
  const task = scope.ctx.registry.get(headers.task);
  if (!task) return { kind: 'skipped', why: `no task ${headers.task} is registered in this app` };
  if (task.options.shadow !== true) {
    return {
      kind: 'skipped',
      why: `${headers.task} is not marked shadow-safe (task option shadow: true), and a shadow run could have side effects`,
    };
  }
  const before = await migration.store.getShadow(headers.id);
  if (before) return { kind: 'stored', record: before };
  const record = new TaskRecord(scope.runtime, message, scope.ctx.identity, scope.ctx.queueName);
  const abort = new AbortController();
  const context = {
    ...createTaskContext(scope, message, record, abort.signal),
    updateState: async () => {},
  };
  const [hard, soft] = headers.timelimit;
  const result = await runTask(task.fn as TaskFunction<unknown[], unknown>, context, abort, {
    timeLimitSeconds: hard ?? task.options.timeLimitSeconds ?? null,
    softTimeLimitSeconds: soft ?? task.options.softTimeLimitSeconds ?? null,
  });
  const failed = result.kind !== 'success';
  const value =
    result.kind === 'success'
      ? result.value
      : result.kind === 'failure'
        ? toExceptionInfo(result.error)
        : { exc_type: result.kind, exc_message: [] };
  const shadow: ShadowRecord = {
    taskId: headers.id,
    taskName: headers.task,
    state: failed ? 'FAILURE' : 'SUCCESS',
    valueJson: jsonOf(value),
    storedAtMs: scope.now(),
    hostname: scope.ctx.identity.hostname,
  };
  const stored = await migration.store.putShadow(shadow);
  return {
    kind: 'stored',
    record: stored ? shadow : ((await migration.store.getShadow(headers.id)) ?? shadow),
  };
}
