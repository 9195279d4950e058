/**
 * The task running in this async context, as Celery's `current_worker_task`: a message sent while a task runs
 * (a `delay`, a chain or group applied in its body) gets the running task as its parent and inherits its root, as
 * Celery's `app.send_task` gives it `parent_id = request.id` and `root_id = request.root_id or request.id`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** The ids of a running task that the messages it sends inherit. */
export interface RunningTaskIds {
  readonly taskId: string;
  readonly rootId: string | null;
}

const running = new AsyncLocalStorage<RunningTaskIds>();

/** Calls `fn` as the task `ids`: whatever it sends meanwhile is that task's child. */
export function runAsTask<T>(ids: RunningTaskIds, fn: () => T): T {
  return running.run({ taskId: ids.taskId, rootId: ids.rootId }, fn);
}

/**
 * The `root_id` and `parent_id` a message sent now gets when it names none: the running task's, or none outside
 * a task.
 */
export function inheritedIds(): { readonly rootId?: string; readonly parentId?: string } {
  const task = running.getStore();
  return task ? { rootId: task.rootId ?? task.taskId, parentId: task.taskId } : {};
}
