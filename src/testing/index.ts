/**
 * `celeriac/testing`: what a project's tests need to run its tasks without AWS.
 * - {@link createTestApp}: an app on the in-memory transport (and the in-memory adapters themselves);
 * - {@link startTestWorker}: a worker inside a test, on memory or on an emulator, that waits for results;
 * - {@link emulatorGlobalSetup}: a vitest `globalSetup` that starts a local emulator for a test run.
 *
 * @example
 * import { createTestApp, startTestWorker } from 'celeriac/testing';
 *
 * const app = createTestApp();
 * const add = app.task('tasks.add', (a: number, b: number) => a + b);
 * const worker = await startTestWorker(app);
 * console.log(await (await add.delay(2, 3)).get({ timeoutMs: 5_000 })); // 5
 * await worker.stop();
 *
 * @packageDocumentation
 */
export {
  createMemoryTransport,
  MemoryBroker,
  MemoryPayloadStore,
  type MemoryQueueOptions,
  MemoryResultStore,
  type MemoryTransport,
} from '../memory/index.js';
export { type MessageOutcome, MessageState } from '../worker/message-outcome.js';
export { createTestApp, type TestAppOptions } from './create-test-app.js';
export {
  type EmulatorConnection,
  type EmulatorGlobalSetupOptions,
  emulatorEnv,
  emulatorGlobalSetup,
  type ProvidingProject,
} from './emulator-setup.js';
export {
  startTestWorker,
  type TestWorker,
  type TestWorkerOptions,
  type WaitForOptions,
} from './start-test-worker.js';
