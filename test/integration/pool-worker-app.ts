/**
 * The app `celeriac worker --pool` loads in the pool CLI tests, in the worker and in every thread or child
 * process. Configured from the environment like a deployed worker.
 */
import { threadId } from 'node:worker_threads';
import { createApp } from '../../src/index.js';

export const app = createApp();

const spin = (): never => {
  for (;;) {
    // never yields: only terminating its thread or process stops it
  }
};

app.task('tasks.add', (a: number, b: number) => a + b);
app.task('tasks.where', () => ({ pid: process.pid, threadId }));
app.task('tasks.spin-limited', spin, { timeLimitSeconds: 3 });
app.task('tasks.spin-tracked', spin, { trackStarted: true });
app.task('tasks.exit', () => process.exit(3));
