/**
 * Python Celery's own rate on the same emulator: a Python producer (the fixture app) queues N `tasks.add`, then
 * a Python Celery worker (threads pool, DynamoDB results) drains them. Every AWS call either process makes is
 * recorded (`CELERIAC_RECORD_CALLS`, see `python/fixtures/celeriac_fixtures/recorder.py`) and counted.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runPython, startPythonWorker } from '../test/interop/helpers/python-celery.js';

/** What {@link measurePythonCelery} measured. */
export interface PythonCeleryRate {
  /** Seconds the producer took to send N tasks one `apply_async` at a time. */
  readonly sendSeconds: number;
  /** Milliseconds from the worker reporting ready until it had logged N successes. */
  readonly drainMs: number;
  /** AWS calls by operation, producer and worker. */
  readonly producerCalls: Record<string, number>;
  readonly workerCalls: Record<string, number>;
}

/** Options of {@link measurePythonCelery}. */
export interface PythonCeleryRateOptions {
  readonly queuePrefix: string;
  readonly resultTable: string;
  readonly tasks: number;
  readonly concurrency: number;
  /** Celery's pool; default threads. */
  readonly pool?: 'threads' | 'prefork';
  /** Give up after this long waiting for the drain. */
  readonly timeoutMs: number;
}

async function countCalls(file: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return counts;
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const { operation } = JSON.parse(line) as { operation: string };
    counts[operation] = (counts[operation] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** Sends and drains `tasks` tasks with Python Celery on the emulator `AWS_ENDPOINT_URL` names. */
export async function measurePythonCelery(options: PythonCeleryRateOptions): Promise<PythonCeleryRate> {
  const dir = await mkdtemp(path.join(tmpdir(), 'celeriac-bench-'));
  const producerFile = path.join(dir, 'producer.jsonl');
  const workerFile = path.join(dir, 'worker.jsonl');
  const { queuePrefix, resultTable } = options;
  try {
    const sent = await runPython<{ seconds: number; sent: number }>(
      [
        'import json, time',
        'from celeriac_fixtures import tasks',
        't0 = time.perf_counter()',
        `ids = [tasks.add.apply_async((i, 1)).id for i in range(${options.tasks})]`,
        'print(json.dumps({"seconds": time.perf_counter() - t0, "sent": len(ids)}))',
      ].join('\n'),
      {
        queuePrefix,
        resultTable,
        timeoutMs: options.timeoutMs,
        env: { CELERIAC_RECORD_CALLS: producerFile },
      },
    );
    if (sent.sent !== options.tasks) throw new Error(`the Python producer sent ${sent.sent} tasks`);

    const worker = await startPythonWorker({
      queuePrefix,
      resultTable,
      concurrency: options.concurrency,
      pool: options.pool ?? 'threads',
      env: { CELERIAC_RECORD_CALLS: workerFile },
    });
    const started = performance.now();
    const succeeded = new Set<string>();
    const pattern = /Task tasks\.add\[([^\]]+)\] succeeded/g;
    try {
      while (succeeded.size < options.tasks) {
        for (const match of worker.logs().matchAll(pattern)) if (match[1]) succeeded.add(match[1]);
        if (succeeded.size >= options.tasks) break;
        if (performance.now() - started > options.timeoutMs) {
          throw new Error(
            `the Python worker finished ${succeeded.size} of ${options.tasks} tasks in ${options.timeoutMs} ms:\n` +
              worker.logs().slice(-3000),
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await worker.stop();
    }
    const drainMs = performance.now() - started;
    return {
      sendSeconds: sent.seconds,
      drainMs,
      producerCalls: await countCalls(producerFile),
      workerCalls: await countCalls(workerFile),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
