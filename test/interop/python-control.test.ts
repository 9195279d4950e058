/**
 * One fleet in `celeriac inspect` and `celeriac control`: a real Python Celery worker with `celeriac_celery`
 * (python/celeriac_celery) and a `celeriac worker` process on the emulator, both in the worker registry of one
 * results table. The CLI runs as a real process: `inspect ping/registered/stats/active` answer for both kinds of
 * worker; `control rate-limit` changes the running Python worker's rate; `control revoke` keeps the Python
 * worker from running a task; `control shutdown -d <python worker>` stops it, warmly.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { createApp } from '../../src/index.js';
import { uniqueName } from '../emulator/unique-name.js';
import { type CliProcess, startCli } from '../helpers/cli-process.js';
import { createIndexedResultTable } from '../helpers/indexed-result-table.js';
import { depth } from '../helpers/operator-queues.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import { busiestWindow } from '../helpers/start-windows.js';
import { mixedFleetPythonPath, type PythonWorker, startPythonWorker } from './helpers/python-celery.js';
import { createSideLog } from './helpers/side-log.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const table = uniqueName('pyctl-results');
const queuePrefix = `${uniqueName('pyctl')}-`;
const sideLog = createSideLog('pyctl');
const runs = sideLog.runs;
/** The rate `control rate-limit` gives the Python-only task. */
const NEW_RATE = 2;

let env: Record<string, string>;
let client: App;
let pyOnlyUrl: string;
let tsWorker: CliProcess;
let pyWorker: PythonWorker;
let tsHost: string;
let pyHost: string;
/** `inspect stats` once both workers were listed. */
let firstStats: Record<string, unknown>;
/** When `control rate-limit` wrote the new rate. */
let rateChangedAtMs = 0;

/**
 * Runs a CLI command to its end; its exit code and the JSON it printed last: an object keyed by hostname for
 * `inspect`, a list of one-host objects for `control`, as Celery prints them.
 */
// biome-ignore lint/suspicious/noExplicitAny: the JSON of either command, read by the test as it expects
async function cli(args: string[]): Promise<{ code: number | null; json: any }> {
  const run = startCli([...args, '--json'], env);
  const { code } = await run.exited;
  const last = run.output().trim().split('\n').at(-1) ?? '';
  try {
    return { code, json: JSON.parse(last) };
  } catch {
    throw new Error(`celeriac ${args.join(' ')} printed no JSON (exit ${code}):\n${run.output()}`);
  }
}

/** Sends `n` Python-only tasks and waits for them; their runs' start times. */
async function runPyOnly(n: number): Promise<number[]> {
  const results = await client.sendTasks<number>(
    Array.from({ length: n }, (_, i) => ({ name: 'flow.py_only', args: [i], options: { queue: 'pyonly' } })),
  );
  await Promise.all(results.map((r) => r.get({ timeoutMs: 30_000, intervalMs: 250 })));
  const ids = new Set(results.map((r) => r.id));
  return runs('flow.py_only')
    .filter((run) => ids.has(run.id))
    .map((run) => run.start);
}

const queueDepth = (url: string): Promise<number> => depth(sqs, url);

beforeAll(async () => {
  await createIndexedResultTable(new DynamoDBClient({ endpoint }), table);
  const [shared, pyOnly, extra] = await Promise.all(
    ['celery', 'pyonly', 'extra'].map((queue) =>
      createQueueWithDeadLetter(sqs, `${queuePrefix}${queue}`, { visibilityTimeoutSeconds: 60 }),
    ),
  );
  pyOnlyUrl = pyOnly?.queueUrl ?? '';
  env = {
    CELERIAC_QUEUE_URLS: JSON.stringify({
      celery: shared?.queueUrl,
      pyonly: pyOnly?.queueUrl,
      extra: extra?.queueUrl,
    }),
    CELERIAC_RESULT_TABLE: table,
    CELERIAC_TASK_INDEX: 'true',
    CELERIAC_HEARTBEAT_SECONDS: '1',
    FLOW_SIDE_LOG: sideLog.path,
  };
  client = createApp({ env: { ...env, AWS_ENDPOINT_URL: endpoint ?? '' } });
  // The celeriac worker consumes only the shared queue; the Python worker also its own.
  tsWorker = startCli(
    ['worker', '--app', 'test/fixtures/mixed-flow-app.ts', '--wait-time', '1', '-Q', 'celery'],
    {
      ...env,
      CELERIAC_QUEUE_URLS: JSON.stringify({ celery: shared?.queueUrl }),
    },
  );
  [pyWorker, tsHost] = await Promise.all([
    startPythonWorker({
      app: 'celeriac_flow_fleet',
      queuePrefix,
      resultTable: table,
      queues: ['celery', 'pyonly'],
      concurrency: 2,
      // The same enable() line turns celeriac's events on: here to stdout, read from the worker's output.
      env: { ...env, PYTHONPATH: mixedFleetPythonPath, CELERIAC_EVENTS: 'stdout' },
    }),
    tsWorker.waitFor(/worker \S+ consuming celery/, 60_000).then((line) => line.split(' ')[1] ?? ''),
  ]);
  // Both in the registry: the Python worker's first record follows its `ready`.
  for (let i = 0; ; i++) {
    const stats = (await cli(['inspect', 'stats'])).json;
    pyHost = Object.keys(stats).find((host) => host.startsWith('interop-')) ?? '';
    firstStats = stats;
    if (pyHost && stats[tsHost]) break;
    if (i === 10) throw new Error(`the registry never listed both workers: ${JSON.stringify(stats)}`);
    await sleep(500);
  }
}, 120_000);

/** Whether a process still runs. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  tsWorker?.child.kill('SIGTERM');
  await Promise.all([tsWorker?.exited, pyWorker && alive(pyWorker.pid) ? pyWorker.stop() : undefined]);
});

describe('celeriac inspect and control over a Python worker and a celeriac worker', () => {
  it('inspect ping, registered and stats answer for both kinds of worker', async () => {
    expect((await cli(['inspect', 'ping', '--timeout', '10'])).json).toEqual({
      [tsHost]: { ok: 'pong' },
      [pyHost]: { ok: 'pong' },
    });

    const registered = (await cli(['inspect', 'registered'])).json;
    expect(registered[pyHost]).toEqual(
      expect.arrayContaining(['flow.limited', 'flow.per_tenant', 'flow.py_only', 'flow.py_sleep']),
    );
    expect(registered[tsHost]).toEqual(expect.arrayContaining(['flow.limited', 'flow.per_tenant']));
    expect(registered[tsHost]).not.toContain('flow.py_only');

    const stats = firstStats;
    expect(stats[pyHost]).toMatchObject({
      pid: pyWorker.pid,
      kind: 'worker',
      pool: { implementation: 'threads', 'max-concurrency': 2 },
      heartbeat: { freq: 1 },
      sw_ver: expect.stringMatching(/^\d+\.\d+\.\d+ \(Python celery 5\.\d+\.\d+\)$/),
    });
    expect([...((stats[pyHost] as { queues: string[] }).queues ?? [])].sort()).toEqual(['celery', 'pyonly']);
    expect(stats[tsHost]).toMatchObject({ kind: 'worker', queues: ['celery'] });
  }, 30_000);

  it('control rate-limit writes the limits record while the Python worker runs a task without a limit', async () => {
    // Before: no limit, so the two threads run faster than the rate about to be set.
    const before = await runPyOnly(16);
    expect(before).toHaveLength(16);
    expect(busiestWindow(before, 2000)).toBeGreaterThan(NEW_RATE * 2 + 1);
    const rate = await cli(['control', 'rate-limit', 'flow.py_only', `${NEW_RATE}/s`]);
    rateChangedAtMs = Date.now();
    expect(rate.json).toEqual([
      { limits: { ok: `flow.py_only: {"rateLimit":"${NEW_RATE}/s"}; workers apply it within 10 s` } },
    ]);
  }, 30_000);

  it('inspect active lists the Python worker task, whose events reach the sink; revoke keeps it from running one', async () => {
    const slow = await client.sendTask('flow.py_sleep', [3], {}, { queue: 'pyonly' });
    let active: Record<string, unknown> = {};
    for (let i = 0; i < 10; i++) {
      active = (await cli(['inspect', 'active'])).json;
      if ((active[pyHost] as unknown[] | undefined)?.length) break;
    }
    expect(active[pyHost]).toEqual([
      expect.objectContaining({
        id: slow.id,
        name: 'flow.py_sleep',
        args: '(3,)',
        kwargs: '{}',
        type: 'flow.py_sleep',
        hostname: pyHost,
        acknowledged: false,
        delivery_info: { exchange: '', routing_key: 'pyonly', priority: null, redelivered: false },
        worker_pid: pyWorker.pid,
      }),
    ]);
    expect(active[tsHost]).toEqual([]);
    await slow.get({ timeoutMs: 15_000 });
    const events = pyWorker
      .logs()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { type: string; uuid?: string; hostname: string });
    expect(events.filter((event) => event.uuid === slow.id).map((event) => event.type)).toEqual(
      expect.arrayContaining(['task-received', 'task-started', 'task-succeeded']),
    );
    expect(events.find((event) => event.type === 'task-succeeded' && event.uuid === slow.id)?.hostname).toBe(
      pyHost,
    );

    const id = randomUUID();
    const revoke = await cli(['control', 'revoke', id]);
    expect(revoke.code).toBe(0);
    const revoked = await client.sendTask('flow.py_only', [1], {}, { queue: 'pyonly', taskId: id });
    const after = await client.sendTask<number>('flow.py_only', [2], {}, { queue: 'pyonly' });
    expect(await after.get({ timeoutMs: 15_000 })).toBe(2);
    for (let i = 0; i < 40 && (await queueDepth(pyOnlyUrl)) > 0; i++) await sleep(250);
    expect(await queueDepth(pyOnlyUrl)).toBe(0); // handled and deleted, not waiting to come back
    expect(runs('flow.py_only').map((run) => run.id)).toContain(after.id);
    expect(runs('flow.py_only').map((run) => run.id)).not.toContain(id);
    expect(await revoked.state()).toBe('REVOKED');
    // The record's processed counts: the 16 runs of the earlier test and this one's, by task name, as
    // Celery's `stats` `total` has them (by final state in the record's `processed`).
    const stats = (await cli(['inspect', 'stats'])).json[pyHost] as { total: Record<string, number> };
    expect(stats.total['flow.py_only']).toBeGreaterThanOrEqual(16);
    expect(Object.keys(stats.total).every((name) => name.startsWith('flow.'))).toBe(true);
  }, 40_000);

  it('control add-consumer and cancel-consumer start and stop the Python worker polling a queue', async () => {
    const queuesOf = async (): Promise<string[]> =>
      [...((await cli(['inspect', 'stats'])).json[pyHost] as { queues: string[] }).queues].sort();
    const added = await cli(['control', 'add-consumer', 'extra', '-d', pyHost, '--timeout', '10']);
    expect(added.json).toEqual([{ [pyHost]: { ok: 'add consumer extra' } }]);
    const viaExtra = await client.sendTask<number>('flow.py_only', [7], {}, { queue: 'extra' });
    expect(await viaExtra.get({ timeoutMs: 15_000 })).toBe(7);
    // `inspect stats` reads the worker's registry record, which the Python worker rewrites at its next
    // heartbeat after it starts consuming: wait for it as for the cancel below.
    let queues = await queuesOf();
    for (let i = 0; i < 20 && !queues.includes('extra'); i++) {
      await sleep(500);
      queues = await queuesOf();
    }
    expect(queues).toEqual(['celery', 'extra', 'pyonly']);

    const cancelled = await cli(['control', 'cancel-consumer', 'extra', '-d', pyHost, '--timeout', '10']);
    expect(cancelled.json).toEqual([{ [pyHost]: { ok: 'no longer consuming from extra' } }]);
    queues = await queuesOf();
    for (let i = 0; i < 20 && queues.includes('extra'); i++) {
      await sleep(500);
      queues = await queuesOf();
    }
    expect(queues).toEqual(['celery', 'pyonly']);
  }, 40_000);

  it('the running Python worker applies the new rate within 10 s; control shutdown stops it', async () => {
    // The worker read the record before the change (its first flow.py_only); it reads it again within 10 s.
    await sleep(Math.max(0, rateChangedAtMs + 10_500 - Date.now()));
    const after = await runPyOnly(12);
    expect(after).toHaveLength(12);
    // One token every 500 ms: at most 4 starts in a 2 s window, plus one at its edge.
    expect(busiestWindow(after, 2000)).toBeLessThanOrEqual(NEW_RATE * 2 + 1);
    expect(Math.max(...after) - Math.min(...after)).toBeGreaterThanOrEqual(
      ((12 - 1) / NEW_RATE) * 1000 * 0.8,
    );

    const shutdown = await cli(['control', 'shutdown', '-d', pyHost, '--timeout', '10']);
    expect(shutdown.json).toEqual([{ [pyHost]: { ok: 'shutting down' } }]);
    for (let i = 0; i < 60 && alive(pyWorker.pid); i++) await sleep(250);
    expect(alive(pyWorker.pid), 'the Python worker still runs').toBe(false);
    expect(pyWorker.logs()).toMatch(/Warm shutdown/);
    const ping = (await cli(['inspect', 'ping', '--timeout', '3'])).json;
    expect(ping).toEqual({ [tsHost]: { ok: 'pong' } });
  }, 60_000);
});
