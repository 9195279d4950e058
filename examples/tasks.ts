/**
 * The demo app: a few tasks that show what a celeriac worker does with a success, a failure and a long task
 * that reports progress. The deployed worker (`functions/worker.ts`) runs them; the local demo
 * (`scripts/local/demo.ts`) and the end-to-end test send them. Configured from the environment like any
 * deployed app: `CELERIAC_QUEUE_URLS`, `CELERIAC_RESULT_TABLE` and `AWS_ENDPOINT_URL` for an emulator.
 *
 * Python Celery can call the same tasks by name: `app.send_task('tasks.add', args=[2, 3])`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp, every } from '../src/index.js';

/** The demo app, configured from the environment. */
export const app = createApp({ name: 'demo' });

/**
 * Python's `ZeroDivisionError`: stored with module `builtins`, so a Python client reading the result raises
 * the real Python exception, and a TypeScript client gets a `TaskError` whose `excType` names it.
 */
export class ZeroDivisionError extends Error {
  override readonly name = 'ZeroDivisionError';
  /** Python module of the exception, written into the stored result (`exc_module`). */
  readonly excModule = 'builtins';
}

/**
 * `tasks.heartbeat()`: returns the task id, which for a periodic firing names its scheduled time
 * (`heartbeat-2026-11-21T07:00:00Z`). Fired every minute by the `heartbeat` periodic task below.
 */
export const heartbeat = app.task('tasks.heartbeat', function () {
  return this.taskId;
});

/**
 * The periodic task: deployed as an EventBridge Scheduler schedule (`rate(1 minute)`) that sends the Celery
 * message straight to the queue; locally, `celeriac beat --app examples/tasks.ts` fires the same message.
 */
app.periodic('heartbeat', { task: heartbeat, schedule: every({ minutes: 1 }) });

/** `tasks.add(a, b)`: the sum. */
export const add = app.task('tasks.add', (a: number, b: number) => a + b);

/** `tasks.divide(a, b)`: the quotient; fails with `ZeroDivisionError` when `b` is 0. */
export const divide = app.task('tasks.divide', (a: number, b: number) => {
  if (b === 0) throw new ZeroDivisionError(`cannot divide ${a} by zero`);
  return a / b;
});

/**
 * `tasks.count(steps, stepMs)`: counts to `steps`, storing state `PROGRESS` with `{ current, total }` after
 * each step (read it with `AsyncResult.state()` and `info()`), and returns the number of steps done.
 */
export const count = app.task('tasks.count', async function (steps: number, stepMs: number = 500) {
  for (let current = 1; current <= steps; current++) {
    await sleep(stepMs, undefined, { signal: this.signal });
    await this.updateState('PROGRESS', { current, total: steps });
  }
  return steps;
});
