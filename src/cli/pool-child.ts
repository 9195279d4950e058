/**
 * The entry point of a pool's sandbox (a worker thread or a child process): loads the app module the worker
 * was started with (`--app`), then serves the worker's runs. A module that cannot load is reported to the
 * worker, which refuses to start with the module's name and the cause.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { sandboxMemoryKiB } from '../worker/pool/sandbox-memory.js';
import { reportLoadFailure, type SandboxTransport, serveSandbox } from '../worker/pool/serve-sandbox.js';
import { loadApp } from './load-app.js';

function transport(): SandboxTransport {
  const port = parentPort;
  if (!isMainThread && port) {
    return {
      send: (text) => port.postMessage(text),
      onMessage: (handler) => port.on('message', (text: string) => handler(text)),
      exit: () => process.exit(0), // ends this thread only
      memoryKiB: sandboxMemoryKiB,
    };
  }
  return {
    send: (text) => {
      if (process.connected) process.send?.(text);
    },
    onMessage: (handler) => process.on('message', (text: string) => handler(text)),
    exit: () => process.exit(0),
    memoryKiB: sandboxMemoryKiB,
  };
}

const appModule: unknown = isMainThread
  ? process.env.CELERIAC_POOL_APP
  : (workerData as { app?: unknown })?.app;
const channel = transport();
try {
  if (typeof appModule !== 'string') throw new Error('the worker did not say which app module to load');
  const app = await loadApp(appModule);
  serveSandbox(channel, app.registry);
} catch (error) {
  reportLoadFailure(channel, error);
  // Closing the channel (rather than exiting) lets the report reach the worker first.
  if (!isMainThread) parentPort?.close();
  else if (process.connected) process.disconnect();
}
// A child process whose worker went away has nobody to report to.
if (isMainThread) process.once('disconnect', () => process.exit(0));
