/** `celeriac worker`: consume queues with the long-running worker until SIGTERM or SIGINT. */
import { parseArgs } from 'node:util';
import { PoolKind } from '../worker/pool/pool.js';
import { runWorker } from '../worker/run-worker.js';
import { loadApp } from './load-app.js';
import { parseQueuesOption } from './queues-option.js';
import { UsageError } from './usage-error.js';

export const WORKER_USAGE = `Usage: celeriac worker --app <module> [options]

Runs the app's tasks from SQS until SIGTERM or SIGINT, then lets running tasks finish
(or hands them back to the queue) and exits.

Options:
  --app, -A <module>           Module exporting the app (\`export const app = createApp(...)\`)
  --queues, -Q <a,b,...>       Celery queues to consume, most urgent first (default: the app's default queue);
                               while all have messages each gets slots by weight, name:weight or by position
                               (-Q high,default = high:2,default:1; -Q high:4,default:1); see docs/workers.md
  --concurrency, -c <n>        Tasks run at once, >= 1 (default 8); with threads or processes, the pool's size
  --prefetch <n>               Messages received ahead of a free slot, >= 0 (default 10), so each receive brings
                               a full batch; their visibility is kept alive while they wait. 0 for long tasks
  --pool, -P <inline|threads|processes>
                               Where task functions run (default inline; see docs/workers.md):
                               inline in this event loop, or in worker threads / child processes that load
                               --app themselves and are terminated at the hard time limit
  --max-tasks-per-child <n>    Replace a thread or process after n tasks, >= 1
  --max-memory-per-child <KiB> Replace a thread or process whose memory passes this after a task, >= 1
  --reject-on-worker-lost      Redeliver a task whose thread or process died, instead of FAILURE WorkerLostError
  --autoscale <max,min>        Threads or processes: up to max at once (replaces -c), min kept when idle;
                               one idle for 30 s beyond min is retired
  --visibility-timeout <s>     Seconds a received message stays invisible, 2-43200; extended while it runs
                               (default 60)
  --wait-time <s>              Long-poll wait in seconds, 0-20 (default 20)
  --shutdown-timeout <s>       Seconds to let running tasks finish on shutdown (default 30)
  --rate-limit-scope <fleet|worker>
                               Where rate and key limits hold (default: the app's rateLimitScope, fleet):
                               across every worker and Lambda invocation, or in this process only (Celery's)

Examples:
  celeriac worker --app dist/app.js
  celeriac worker --app dist/app.js -Q high,default -c 16
  celeriac worker --app dist/app.js -P processes --autoscale 8,2 --max-memory-per-child 512000

Exit codes: 0 stopped on a signal; 1 stopped by an error; 2 usage error; 3 configuration error (the app
module does not load); 130 a second SIGTERM or SIGINT, which exits at once (unfinished messages return to
their queues after their visibility timeout).
`;

function positiveNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new UsageError(`Expected --${name} to be a number >= 0, got ${JSON.stringify(text)}`);
  return value;
}

/** An integer option within what SQS takes: `min` to `max`, `fallback` when not given. */
function integerIn(
  name: string,
  text: string | undefined,
  min: number,
  max: number,
  fallback: number,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new UsageError(
      `Expected --${name} to be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`,
    );
  return value;
}

function atLeastOne(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`Expected --${name} to be an integer >= 1, got ${JSON.stringify(text)}`);
  return value;
}

function wholeNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new UsageError(`Expected --${name} to be an integer >= 0, got ${JSON.stringify(text)}`);
  return value;
}

function poolKind(text: string | undefined): PoolKind {
  if (text === undefined) return PoolKind.INLINE;
  const kinds: readonly string[] = Object.values(PoolKind);
  if (!kinds.includes(text))
    throw new UsageError(`Expected --pool to be one of ${kinds.join(', ')}, got ${JSON.stringify(text)}`);
  return text as PoolKind;
}

/** `--autoscale max,min` (Celery's order): integers with max >= min >= 1, for the threads and processes pools. */
function autoscaleRange(text: string | undefined, pool: PoolKind): { max: number; min: number } | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',').map((part) => Number(part.trim()));
  const max = parts[0] ?? Number.NaN;
  const min = parts[1] ?? max;
  if (parts.length > 2 || !Number.isInteger(max) || !Number.isInteger(min) || min < 1 || max < min) {
    throw new UsageError(
      `Expected --autoscale to be max,min with integers max >= min >= 1, got ${JSON.stringify(text)}`,
    );
  }
  if (pool === PoolKind.INLINE) {
    throw new UsageError(
      '--autoscale needs --pool threads or --pool processes (inline has no children to scale)',
    );
  }
  return { max, min };
}

/** Runs the command; resolves when the worker has stopped. */
export async function workerCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      app: { type: 'string', short: 'A' },
      queues: { type: 'string', short: 'Q' },
      concurrency: { type: 'string', short: 'c' },
      prefetch: { type: 'string' },
      'visibility-timeout': { type: 'string' },
      'wait-time': { type: 'string' },
      'shutdown-timeout': { type: 'string' },
      pool: { type: 'string', short: 'P' },
      'max-tasks-per-child': { type: 'string' },
      'max-memory-per-child': { type: 'string' },
      'reject-on-worker-lost': { type: 'boolean' },
      autoscale: { type: 'string' },
      'rate-limit-scope': { type: 'string' },
    },
    strict: true,
  });
  if (!values.app) throw new UsageError(`--app is required\n\n${WORKER_USAGE}`);
  const pool = poolKind(values.pool);
  const autoscale = autoscaleRange(values.autoscale, pool);
  const concurrency = autoscale?.max ?? atLeastOne('concurrency', values.concurrency) ?? 8;
  const maxTasksPerChild = atLeastOne('max-tasks-per-child', values['max-tasks-per-child']);
  const maxMemoryPerChildKiB = atLeastOne('max-memory-per-child', values['max-memory-per-child']);
  const scope = values['rate-limit-scope'];
  if (scope !== undefined && scope !== 'fleet' && scope !== 'worker') {
    throw new UsageError(`Expected --rate-limit-scope to be fleet or worker, got ${JSON.stringify(scope)}`);
  }
  // Every option is checked before the app module loads: a typo costs no import.
  const options: Parameters<typeof runWorker>[1] = {
    ...(values.queues ? { queues: parseQueuesOption(values.queues) } : {}),
    concurrency,
    ...(values.prefetch !== undefined ? { prefetch: wholeNumber('prefetch', values.prefetch) } : {}),
    pool,
    appModule: values.app,
    ...(maxTasksPerChild !== undefined ? { maxTasksPerChild } : {}),
    ...(maxMemoryPerChildKiB !== undefined ? { maxMemoryPerChildKiB } : {}),
    ...(values['reject-on-worker-lost'] ? { rejectOnWorkerLost: true } : {}),
    ...(autoscale ? { minPoolSize: autoscale.min } : {}),
    visibilityTimeoutSeconds: integerIn('visibility-timeout', values['visibility-timeout'], 2, 43_200, 60),
    waitTimeSeconds: integerIn('wait-time', values['wait-time'], 0, 20, 20),
    shutdownTimeoutMs: positiveNumber('shutdown-timeout', values['shutdown-timeout'], 30) * 1000,
    ...(scope ? { rateLimitScope: scope } : {}),
  };
  const app = await loadApp(values.app);
  const worker = runWorker({ registry: app.registry, runtime: app.runtime }, options);
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
