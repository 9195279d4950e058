/**
 * celeriac's fleet-wide limits held across a mixed fleet: a real Python Celery worker with `celeriac_celery`
 * (python/celeriac_celery) and a `celeriac worker` process consume one SQS queue on the emulator and share
 * `flow.limited` at 10/s (Celery's `rate_limit` on the Python side, `rateLimit` on celeriac's) and
 * `flow.per_tenant` at one run per tenant at once. Both take from the same bucket and slot items in the results
 * table, and a message over a limit waits in SQS on either side.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { uniqueName } from '../emulator/unique-name.js';
import { MIXED_KEY_CONCURRENCY, MIXED_RATE } from '../fixtures/mixed-flow-app.js';
import { type CliProcess, startCli } from '../helpers/cli-process.js';
import { depth } from '../helpers/operator-queues.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import { busiestWindow, mostAtOnce } from '../helpers/start-windows.js';
import { mixedFleetPythonPath, type PythonWorker, startPythonWorker } from './helpers/python-celery.js';
import { createSideLog } from './helpers/side-log.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const table = uniqueName('pyflow-results');
const queuePrefix = `${uniqueName('pyflow')}-`;
const sideLog = createSideLog('pyflow');
const runs = sideLog.runs;

let client: App;
let deadLetterUrl: string;
let tsWorker: CliProcess;
let pyWorker: PythonWorker;

const deadLetters = (): Promise<number> => depth(sqs, deadLetterUrl);

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), table);
  // maxReceiveCount 4: a message that waits its turn more often than that must not end in the dead-letter queue.
  const queues = await createQueueWithDeadLetter(sqs, `${queuePrefix}celery`, {
    maxReceiveCount: 4,
    visibilityTimeoutSeconds: 60,
  });
  deadLetterUrl = queues.deadLetterUrl;
  const env = {
    CELERIAC_QUEUE_URLS: JSON.stringify({ celery: queues.queueUrl }),
    CELERIAC_RESULT_TABLE: table,
    FLOW_SIDE_LOG: sideLog.path,
  };
  client = createApp({ env: { ...env, AWS_ENDPOINT_URL: endpoint } });
  tsWorker = startCli(
    ['worker', '--app', 'test/fixtures/mixed-flow-app.ts', '--wait-time', '1', '--concurrency', '10'],
    env,
  );
  [pyWorker] = await Promise.all([
    startPythonWorker({
      app: 'celeriac_flow_fleet',
      queuePrefix,
      resultTable: table,
      // Celery's default pool: the gate runs in the consumer, the slot is renewed and freed in the child.
      pool: 'prefork',
      concurrency: 3,
      env: { PYTHONPATH: mixedFleetPythonPath, FLOW_SIDE_LOG: sideLog.path, CELERIAC_RESULT_TABLE: table },
    }),
    tsWorker.waitFor(/consuming celery/, 60_000),
  ]);
}, 120_000);

afterAll(async () => {
  tsWorker?.child.kill('SIGTERM');
  await Promise.all([tsWorker?.exited, pyWorker?.stop()]);
});

describe('celeriac limits on a Python Celery worker beside a celeriac worker', () => {
  it('150 tasks limited to 10/s: no 10 s window over 110%, both sides run, none lost, none twice', async () => {
    const results = await client.sendTasks<number>(
      Array.from({ length: 150 }, (_, i) => ({ name: 'flow.limited', args: [i] })),
    );
    const values = await Promise.all(results.map((r) => r.get({ timeoutMs: 60_000, intervalMs: 500 })));
    expect(values).toEqual(Array.from({ length: 150 }, (_, i) => i));
    const done = runs('flow.limited');
    expect(done).toHaveLength(150);
    expect(new Set(done.map((r) => r.id))).toEqual(new Set(results.map((r) => r.id)));
    expect(
      busiestWindow(
        done.map((r) => r.start),
        10_000,
      ),
    ).toBeLessThanOrEqual(MIXED_RATE * 10 * 1.1);
    // The limit held across the two kinds of worker, each of which ran its share.
    const sides = new Set(done.map((r) => r.side));
    expect(sides, `runs by side: ${JSON.stringify(done.map((r) => r.side))}`).toEqual(
      new Set(['ts', 'python']),
    );
    expect(await deadLetters()).toBe(0);
  }, 80_000);

  it('a per-tenant concurrency of 1 is never exceeded across both sides, while other tenants run beside it', async () => {
    const tenants = ['acme', 'globex', 'initech'];
    const results = await client.sendTasks<string>(
      Array.from({ length: 24 }, (_, i) => {
        const tenant = tenants[i % 3] as string;
        return { name: 'flow.per_tenant', args: [tenant, 300], options: { headers: { tenant } } };
      }),
    );
    const values = await Promise.all(results.map((r) => r.get({ timeoutMs: 60_000, intervalMs: 500 })));
    expect(values).toEqual(results.map((_, i) => tenants[i % 3]));
    const done = runs('flow.per_tenant');
    expect(done).toHaveLength(24);
    expect(new Set(done.map((r) => r.id)).size).toBe(24);
    for (const tenant of tenants) {
      const own = done.filter((r) => r.key === tenant);
      expect(own).toHaveLength(8);
      const sorted = [...own].sort((a, b) => a.start - b.start);
      expect(mostAtOnce(own), `${tenant}'s runs: ${JSON.stringify(sorted)}`).toBeLessThanOrEqual(
        MIXED_KEY_CONCURRENCY,
      );
    }
    expect(new Set(done.map((r) => r.side))).toEqual(new Set(['ts', 'python']));
    // The limit is per key: the fleet ran tenants side by side.
    expect(mostAtOnce(done)).toBeGreaterThan(MIXED_KEY_CONCURRENCY);
    expect(await deadLetters()).toBe(0);
  }, 80_000);
});
