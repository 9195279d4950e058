/**
 * The tasks of {{name}}. The worker Lambda (`functions/worker.ts`) runs them; callers (`functions/api.ts`, or
 * Python Celery with `app.send_task('tasks.add', args=[2, 3])`) send them by name.
 */
import { type App, createApp, every } from 'celeriac';

/**
 * Registers this project's tasks and periodic tasks on `app` and returns the tasks. The deployed code calls it
 * on the app below; the tests call it on an in-memory app (`createTestApp()` from `celeriac/testing`).
 */
export function registerTasks(app: App) {
  /** `tasks.add(a, b)`: the sum. */
  const add = app.task('tasks.add', (a: number, b: number) => a + b);

  /**
   * `tasks.heartbeat()`: returns its task id, which for a periodic firing names its slot
   * (`heartbeat-2026-11-21T07:00:00Z`).
   */
  const heartbeat = app.task('tasks.heartbeat', function () {
    return this.taskId;
  });

  // Deployed as an EventBridge Scheduler schedule (`rate(1 minute)`) by the PeriodicTasks construct.
  app.periodic('heartbeat', { task: heartbeat, schedule: every({ minutes: 1 }) });

  return { add, heartbeat };
}

/** The app, configured from the environment the CDK grants set (`CELERIAC_QUEUE_URLS`, `CELERIAC_RESULT_TABLE`). */
export const app = createApp({ name: '{{name}}' });

export const { add, heartbeat } = registerTasks(app);
