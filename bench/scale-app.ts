/**
 * The app `bench/scale-curve.ts` runs in `celeriac worker` processes: Python's fixture task name, so the same
 * messages drain on either side. Its queues and table come from the environment (CELERIAC_QUEUE_URLS,
 * CELERIAC_RESULT_TABLE), as a deployed worker's do.
 */
import { createApp } from '../src/index.js';

export const app = createApp();

app.task('tasks.add', (a: number, b: number) => a + b);
