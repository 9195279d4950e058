/**
 * A mixed fleet: one SQS queue consumed by a Python Celery worker with `celeriac_celery.enable(app)` and by a
 * `celeriac worker`, 1,000 tasks, under the redeliveries SQS can produce:
 * - running tasks' own messages made visible again (ChangeMessageVisibility to 0, as a lapsed visibility would);
 * - copies of running and of finished tasks' messages sent as new messages (the same task id);
 * - a SIGKILL of the Python worker and, later, of the celeriac worker (each replaced by a new one).
 *
 * Every task's body must finish exactly once, counted through a side channel (one item per task key, written by
 * the body itself), except a body that finished in a killed process just before its result was stored, which
 * may run again (docs/reliability.md: what "effectively once" does not cover). A plain Python Celery client
 * (Celery's own DynamoDB backend, no package) then reads every result.
 *
 * And a retry that crosses sides: attempt 0 runs in Python and stores RETRY through its claim (recording the next
 * attempt); the retry runs in celeriac; late copies of attempt 0 are dropped as stale; each attempt runs once.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/index.js';
import { taskIdOf } from '../faults/helpers/fault-scenario.js';
import {
  createMixedFleet,
  type FleetWorker,
  type MixedFleet,
  type RunMark,
  until,
} from './helpers/mixed-fleet.js';
import { runPython } from './helpers/python-celery.js';

const TASKS = 1000;
const SLOW = 20;
const SLOW_MS = 2500;
const VISIBILITY_SECONDS = 6;
/** Long enough that the retries still wait while the late copies of the first attempts are dropped. */
const RETRY_COUNTDOWN_SECONDS = 12;

const fleets: MixedFleet[] = [];
afterAll(async () => {
  await Promise.all(fleets.map((f) => f.close()));
});

/** The `retries` header of a kombu SQS envelope (base64 JSON). */
function retriesOf(body: string): number | undefined {
  const envelope = JSON.parse(Buffer.from(body, 'base64').toString('utf8')) as {
    headers?: { retries?: number };
  };
  return envelope.headers?.retries;
}

describe('a Python Celery worker with celeriac_celery and a celeriac worker on one queue', () => {
  it('runs each of 1,000 tasks once under early redeliveries, copies and a SIGKILL of each side', {
    timeout: 240_000,
  }, async () => {
    const f = await createMixedFleet('mixed', VISIBILITY_SECONDS, { ownEmulator: true });
    fleets.push(f);
    const client = createApp({ env: { ...f.clientEnv, AWS_ENDPOINT_URL: f.endpoint } });
    const killed: FleetWorker[] = [];
    let [python, celeriac] = await Promise.all([
      f.startPython({ concurrency: 8, claims: true }),
      f.startCeleriac({ concurrency: 16 }),
    ]);
    const workers = new Set([python, celeriac]);
    try {
      // The slow tasks first, so that most of them run at once; the quick ones once the injections are done.
      const call = (key: number) => ({ name: 'mixed.mark', args: [key, key < SLOW ? SLOW_MS : 5] });
      const slowResults = await client.sendTasks<number>(Array.from({ length: SLOW }, (_, key) => call(key)));
      const ids = slowResults.map((r) => r.id);
      const keyOf = new Map(ids.map((id, key) => [id, key]));
      const isSlow = (body: string) => (keyOf.get(taskIdOf(body) ?? '') ?? TASKS) < SLOW;

      // While slow tasks run (received less than SLOW_MS - 500 ms ago): their messages visible again at once,
      // and copies of other running ones as new messages.
      const running = () =>
        f.proxy.received().filter((m) => isSlow(m.body) && Date.now() - m.atMs < SLOW_MS - 500);
      // Fewer slow tasks than slots (8 + 16), so their second deliveries find free slots while they run.
      await until('16 slow tasks running', async () => running().length >= 16, 30_000);
      const now = running();
      const early = now.filter((_, i) => i % 2 === 0);
      const copied = now.filter((_, i) => i % 2 === 1);
      await Promise.all(
        early.map((m) =>
          f.sqs.send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: f.queueUrl,
              ReceiptHandle: m.receiptHandle,
              VisibilityTimeout: 0,
            }),
          ),
        ),
      );
      await f.sendCopies(copied.map((m) => m.body));
      const quick = await client.sendTasks<number>(
        Array.from({ length: TASKS - SLOW }, (_, i) => call(SLOW + i)),
      );
      for (const r of quick) {
        keyOf.set(r.id, ids.length);
        ids.push(r.id);
      }

      const finished = () => f.finishedKeys();
      const t0 = Date.now();
      const phases: string[] = [];
      const phase = (what: string) => phases.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
      phase('injected');
      await until('300 tasks finished', async () => (await finished()) >= 300, 90_000);
      // Copies of 50 tasks that already finished: each must be dropped as finished.
      const runsSoFar = await f.runs();
      const done = [...new Set(f.proxy.received().map((m) => m.body))]
        .filter((body) => runsSoFar.has(keyOf.get(taskIdOf(body) ?? '') ?? -1))
        .slice(0, 50);
      await f.sendCopies(done);

      phase('300 finished');
      await python.kill();
      killed.push(python);
      workers.delete(python);
      python = await f.startPython({ concurrency: 8, claims: true });
      workers.add(python);

      await until('600 tasks finished', async () => (await finished()) >= 600, 90_000);
      phase('600 finished');
      await celeriac.kill();
      killed.push(celeriac);
      workers.delete(celeriac);
      celeriac = await f.startCeleriac({ concurrency: 16 });
      workers.add(celeriac);

      await until(`all ${TASKS} tasks finished`, async () => (await finished()) >= TASKS, 90_000);
      phase('all finished');
      // Redelivered and copied messages come back after the leases of their first deliveries end.
      await f.untilDrained('the queue to drain', 40_000);

      phase('drained');
      const runs = await f.runs();
      const killedPids = new Set(killed.map((w) => w.pid));
      const byKilled = (marks: readonly RunMark[]) => marks.some((m) => killedPids.has(m.pid));
      const missing = ids.map((_, key) => key).filter((key) => !runs.has(key));
      const twice = [...runs].filter(([, marks]) => marks.length > 1);
      const duplicates = twice.filter(([, marks]) => !byKilled(marks));
      const rerunsAfterKill = twice.filter(([, marks]) => byKilled(marks));
      const sides = [...runs.values()].flat();
      const logs = [...workers, ...killed].map((w) => w.logs()).join('\n');
      const busy = {
        py: (logs.match(/running on another delivery/g) ?? []).length,
        ts: (logs.match(/ mixed\.mark BUSY/g) ?? []).length,
      };
      console.log(
        `[mixed-fleet] early: ${early.length}, copies of running: ${copied.length}, copies of finished: ${done.length}, ` +
          `py runs: ${sides.filter((m) => m.side === 'py').length}, ts runs: ${sides.filter((m) => m.side === 'ts').length}, ` +
          `reruns after kill: ${rerunsAfterKill.length}, busy (py): ${busy.py}, busy (ts): ${busy.ts}, duplicates dropped (py): ${(logs.match(/is a duplicate/g) ?? []).length}, ` +
          `duplicates dropped (ts): ${(logs.match(/ DUPLICATE/g) ?? []).length}; ${phases.join(', ')}`,
      );
      expect(early.length + copied.length).toBeGreaterThanOrEqual(16);
      // Second deliveries of running tasks were refused while the first ran, on one side or both.
      expect(busy.py + busy.ts).toBeGreaterThan(0);
      expect(done.length).toBe(50);
      expect(missing).toEqual([]);
      expect(duplicates).toEqual([]);
      // Only a body in flight in a killed process can run again.
      expect(rerunsAfterKill.length).toBeLessThanOrEqual(8 + 16);
      // Both sides ran a fair share of the work.
      expect(sides.filter((m) => m.side === 'py').length).toBeGreaterThan(100);
      expect(sides.filter((m) => m.side === 'ts').length).toBeGreaterThan(100);

      // A plain Python Celery client (Celery's own DynamoDB backend) reads every result.
      const idsFile = path.join(tmpdir(), `${path.basename(f.resultTable)}-ids.json`);
      writeFileSync(idsFile, JSON.stringify(ids));
      const values = await runPython<number[]>(
        [
          'import json, os',
          'from concurrent.futures import ThreadPoolExecutor',
          'from mixed_fleet_app import app',
          'ids = json.load(open(os.environ["MIXED_IDS_FILE"]))',
          'with ThreadPoolExecutor(8) as pool:',
          '    print(json.dumps(list(pool.map(lambda i: app.AsyncResult(i).get(timeout=10), ids))))',
        ].join('\n'),
        { env: { ...f.pythonEnv(), MIXED_IDS_FILE: idsFile }, timeoutMs: 60_000 },
      );
      rmSync(idsFile, { force: true });
      phase('read by Python');
      expect(values).toEqual(ids.map((_, key) => key * 2));
      console.log(`[mixed-fleet] ${phases.join(', ')}`);
    } finally {
      await Promise.all([...workers].map((w) => w.stop()));
    }
  });
  it('hands a retry from Python to celeriac: each attempt runs once, and a stale copy of the first is dropped', {
    timeout: 120_000,
  }, async () => {
    const f = await createMixedFleet('mixed-retry', 3);
    fleets.push(f);
    const client = createApp({ env: { ...f.clientEnv, AWS_ENDPOINT_URL: f.endpoint } });
    const python = await f.startPython({ concurrency: 2, claims: true });
    const results = await client.sendTasks<number>(
      Array.from({ length: 5 }, (_, key) => ({ name: 'mixed.flaky', args: [key, RETRY_COUNTDOWN_SECONDS] })),
    );
    // Attempt 0 runs in Python and asks for a retry: RETRY is stored through the claim, and the retry sent.
    await until(
      'every first attempt to store RETRY',
      async () => (await Promise.all(results.map((r) => r.state()))).every((state) => state === 'RETRY'),
      30_000,
    );
    // Python leaves; the retries it held for their countdown go back to the queue, for celeriac. Copies of the
    // first attempts' messages arrive late, while the retries wait: those attempts were retried since.
    await python.stop();
    const ids = new Set(results.map((r) => r.id));
    const firsts = [
      ...new Map(
        f.proxy
          .received()
          .filter((m) => ids.has(taskIdOf(m.body) ?? '') && retriesOf(m.body) === 0)
          .map((m) => [taskIdOf(m.body), m.body]),
      ).values(),
    ];
    expect(firsts).toHaveLength(5);
    await f.sendCopies(firsts);
    const celeriac = await f.startCeleriac({ concurrency: 4 });
    try {
      expect(await Promise.all(results.map((r) => r.get({ timeoutMs: 40_000 })))).toEqual([0, 2, 4, 6, 8]);
      await f.untilDrained('the copies to be settled', 30_000);
    } finally {
      await celeriac.stop();
    }
    const runs = await f.runs();
    expect([...runs.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    for (const marks of runs.values()) {
      expect(marks.map((m) => `${m.side}${m.attempt ?? ''}`).sort()).toEqual(['py0', 'ts']);
    }
    expect(celeriac.logs().match(/ mixed\.flaky DUPLICATE .*attempt 0 was already retried/g)).toHaveLength(5);
  });
});
