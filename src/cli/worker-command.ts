/** `celeriac worker`: consume queues with the long-running worker until SIGTERM or SIGINT. */
import { parseArgs } from 'node:util';
import { runWorker } from '../worker/run-worker.js';
import { loadApp } from './load-app.js';
import { UsageError } from './usage-error.js';

export const WORKER_USAGE = `Usage: celeriac worker --app <module> [options]

Runs the app's tasks from SQS until SIGTERM or SIGINT, then lets running tasks finish
(or hands them back to the queue) and exits.

Options:
  --app, -A <module>           Module exporting the app (\`export const app = createApp(...)\`)
  --queues, -Q <a,b,...>       Celery queues to consume (default: the app's default queue)
  --concurrency, -c <n>        Tasks run at once (default 8)
  --visibility-timeout <s>     Seconds a received message stays invisible; extended while it runs (default 60)
  --wait-time <s>              Long-poll wait, 0-20 (default 20)
  --shutdown-timeout <s>       Seconds to let running tasks finish on shutdown (default 30)
`;

function positiveNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new UsageError(`Expected --${name} to be a number >= 0, got ${JSON.stringify(text)}`);
  return value;
}

/** Runs the command; resolves when the worker has stopped. */
export async function workerCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      app: { type: 'string', short: 'A' },
      queues: { type: 'string', short: 'Q' },
      concurrency: { type: 'string', short: 'c' },
      'visibility-timeout': { type: 'string' },
      'wait-time': { type: 'string' },
      'shutdown-timeout': { type: 'string' },
    },
    strict: true,
  });
  if (!values.app) throw new UsageError(`--app is required\n\n${WORKER_USAGE}`);
  const app = await loadApp(values.app);
  const worker = runWorker(
    { registry: app.registry, runtime: app.runtime },
    {
      ...(values.queues
        ? {
            queues: values.queues
              .split(',')
              .map((q) => q.trim())
              .filter(Boolean),
          }
        : {}),
      concurrency: positiveNumber('concurrency', values.concurrency, 8),
      visibilityTimeoutSeconds: positiveNumber('visibility-timeout', values['visibility-timeout'], 60),
      waitTimeSeconds: Math.min(20, positiveNumber('wait-time', values['wait-time'], 20)),
      shutdownTimeoutMs: positiveNumber('shutdown-timeout', values['shutdown-timeout'], 30) * 1000,
    },
  );
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      console.error(
        `${signal} again: exiting now; unfinished messages return to their queues after their visibility timeout`,
      );
      process.exit(130);
    }
    console.log(`${signal} received: stopping (running tasks may finish; ${signal} again to exit at once)`);
    void worker.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await worker.stopped;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  const summary = Object.entries(worker.counts)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ');
  console.log(`worker ${worker.identity.hostname} stopped${summary ? `: ${summary}` : ''}`);
}
