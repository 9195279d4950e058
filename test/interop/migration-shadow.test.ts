/**
 * Shadow mode with real Python Celery: `celeriac route tasks.quote shadow --python-queue <url> --celeriac-queue
 * <url>`. Python runs every task for real and sends celeriac a shadow copy; celeriac (the Lambda handler, fed by an
 * event-source-mapping driver) also shadows the originals it receives on the shared queue before handing them to
 * Python's queue. The
 * task returns `n * 10` in Python and `n * 10 + 1` for odd `n` in celeriac: the real results stay Python's, the
 * shadow results are kept apart, and `celeriac shadow report` lists exactly the odd ones, with both values. A task
 * in shadow mode that is not marked shadow-safe is not run by celeriac, and a line says why. Then, on the Python
 * side: a message for celeriac with no celeriac queue is left on the shared queue for celeriac, and routes in code
 * come from `enable(app, routes=...)` under the record's.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { venvBin } from '../emulator/moto-server.js';
import { uniqueName } from '../emulator/unique-name.js';
import { pollOnce } from '../helpers/event-source-mapping.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import { defineMigrationTasks } from './fixtures/migration-app.js';
import {
  type MigrationPythonWorker,
  pythonEnv,
  runCli,
  startMigrationPythonWorker,
} from './fixtures/migration-fleet.js';

const execFileAsync = promisify(execFile);

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const ddb = new DynamoDBClient({ endpoint });
const prefix = `${uniqueName('mig-shadow')}-`;
const resultTable = uniqueName('mig-shadow-results');
const env = {
  CELERIAC_TEST_QUEUE_PREFIX: prefix,
  CELERIAC_TEST_RESULT_TABLE: resultTable,
  CELERIAC_RESULT_TABLE: resultTable,
  CELERIAC_MIGRATION_REFRESH_SECONDS: '1',
};

interface Report {
  differs: { taskId: string; taskName: string; python: { value: unknown }; celeriac: { value: unknown } }[];
  same: number;
  pending: number;
}

describe('shadow mode', () => {
  let shared: string;
  let celeriacQueue: string;
  let pythonQueue: string;
  let python: MigrationPythonWorker | undefined;
  const lines: string[] = [];
  let stopping = false;
  let loops: Promise<void>[] = [];
  let poll: () => void = () => {};

  beforeAll(async () => {
    const [a, b, c] = await Promise.all([
      createQueueWithDeadLetter(sqs, `${prefix}celery`, { maxReceiveCount: 20 }),
      createQueueWithDeadLetter(sqs, `${prefix}celeriac`, { maxReceiveCount: 20 }),
      createQueueWithDeadLetter(sqs, `${prefix}python`, { maxReceiveCount: 20 }),
    ]);
    shared = a.queueUrl;
    celeriacQueue = b.queueUrl;
    pythonQueue = c.queueUrl;
    await ensureResultTable(ddb, resultTable);
    for (const task of ['tasks.quote', 'migration.mark']) {
      const routed = await runCli(
        ['route', task, 'shadow', '--python-queue', pythonQueue, '--celeriac-queue', celeriacQueue],
        env,
      );
      expect(routed.code, routed.output).toBe(0);
    }
    python = await startMigrationPythonWorker({ queues: ['celery', 'python'], env });
    const app = createApp({
      queueUrls: { celery: shared, celeriac: celeriacQueue },
      resultTable,
      migration: { refreshSeconds: 1 },
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    defineMigrationTasks(app);
    const handler = createSqsHandler(app, { log: (line) => lines.push(line) });
    poll = () => {
      stopping = false;
      loops = [shared, celeriacQueue].map(async (url) => {
        while (!stopping) await pollOnce(sqs, url, handler, { waitTimeSeconds: 1 });
      });
    };
    poll();
  }, 60_000);

  afterAll(async () => {
    stopping = true;
    await Promise.all(loops);
    await python?.stop();
  }, 30_000);

  it('keeps the real results Python’s and reports each task id whose shadow value differs, with both values', async () => {
    const client = createApp({
      queueUrls: { celery: shared },
      resultTable,
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    const ns = Array.from({ length: 10 }, (_, i) => i + 1);
    const prices = await client.sendTasks<number>(ns.map((n) => ({ name: 'tasks.quote', args: [n] })));
    const marks = await client.sendTasks<number>(
      [3, 4].map((key) => ({ name: 'migration.mark', args: [key] })),
    );
    expect(await Promise.all(prices.map((r) => r.get({ timeoutMs: 30_000 })))).toEqual(ns.map((n) => n * 10));
    expect(await Promise.all(marks.map((r) => r.get({ timeoutMs: 30_000 })))).toEqual([6, 8]);

    let report: Report = { differs: [], same: 0, pending: -1 };
    for (let attempt = 0; attempt < 30; attempt += 1) {
      const run = await runCli(['shadow', 'report', '--task', 'tasks.quote', '--json'], env);
      expect(run.code, run.output).toBe(0);
      report = JSON.parse(run.output.trim().split('\n').at(-1) ?? '{}') as Report;
      if (report.pending === 0 && report.differs.length + report.same === ns.length) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const odd = ns.filter((n) => n % 2 === 1);
    const idOf = new Map(prices.map((result, i) => [result.id, ns[i] as number]));
    expect(report.same).toBe(ns.length - odd.length);
    expect(
      report.differs
        .map((d) => ({
          n: idOf.get(d.taskId),
          name: d.taskName,
          python: d.python.value,
          celeriac: d.celeriac.value,
        }))
        .sort((x, y) => (x.n ?? 0) - (y.n ?? 0)),
    ).toEqual(odd.map((n) => ({ n, name: 'tasks.quote', python: n * 10, celeriac: n * 10 + 1 })));

    // The text report names each differing id with both values.
    const text = await runCli(['shadow', 'report', '--task', 'tasks.quote'], env);
    const first = odd[0] as number;
    expect(text.output).toContain(
      `${prices[first - 1]?.id}  tasks.quote  python: SUCCESS ${first * 10}  celeriac: SUCCESS ${first * 10 + 1}`,
    );
    expect(text.output).toContain(`${odd.length} differ, ${ns.length - odd.length} same`);

    // A difference is also a worker log line; the unsafe task was never shadowed.
    expect(lines.join('\n')).toMatch(
      /shadow tasks\.quote\[[^\]]+\] differs: python returned \d+, celeriac returned \d+/,
    );
    expect(lines.join('\n')).toContain('not marked shadow-safe');
    const unsafe = await runCli(['shadow', 'report', '--task', 'migration.mark', '--json'], env);
    expect(JSON.parse(unsafe.output.trim().split('\n').at(-1) ?? '{}')).toEqual({
      differs: [],
      same: 0,
      pending: 0,
    });
  }, 80_000);
  it('leaves a message on the shared queue for celeriac when Python receives it and the route names no celeriac queue', async () => {
    // The Lambda host pauses, so Python receives every message first.
    stopping = true;
    await Promise.all(loops);
    for (const args of [
      ['tasks.quote', 'default'],
      ['tasks.quote', 'celeriac'],
    ]) {
      const routed = await runCli(['route', ...args], env);
      expect(routed.code, routed.output).toBe(0);
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const client = createApp({
      queueUrls: { celery: shared },
      resultTable,
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    const sent = await client.sendTasks<number>(
      [21, 22, 23].map((n) => ({ name: 'tasks.quote', args: [n] })),
    );
    const logs = python?.logs() ?? '';
    for (let attempt = 0; attempt < 40; attempt += 1) {
      if (
        sent.every((r) => (python?.logs() ?? '').includes(`tasks.quote[${r.id}] routed to celeriac: left on`))
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const r of sent)
      expect(python?.logs(), logs).toContain(`tasks.quote[${r.id}] routed to celeriac: left on ${shared}`);
    // Python has left each one on the queue; with Python gone, celeriac receives them when they are visible again.
    await python?.stop();
    python = undefined;
    poll();
    // celeriac's values (odd n + 1): celeriac ran them, Python did not.
    expect(await Promise.all(sent.map((r) => r.get({ timeoutMs: 30_000 })))).toEqual([211, 220, 231]);
  }, 60_000);
  it('takes routes in code from enable(), which the record overrides, and refuses an unknown side', async () => {
    const script = [
      'import json, migration_app',
      'from celery import Celery',
      'import celeriac_celery',
      'app = Celery("p", backend=migration_app.app.conf.result_backend, broker=migration_app.app.conf.broker_url)',
      'app.conf.dynamodb_endpoint_url = migration_app.ENDPOINT',
      'celeriac_celery.enable(app, routes={"tasks.quote": "shadow", "tasks.only_code": "celeriac"})',
      'routes = app.celeriac_routing.routes',
      'out = {name: routes.route_of(name).side for name in ("tasks.quote", "tasks.only_code")}',
      'try:',
      '    celeriac_celery.enable(Celery("q", backend=app.conf.result_backend), routes={"tasks.x": "java"})',
      'except ValueError as error:',
      '    out["error"] = str(error)',
      'print(json.dumps(out))',
    ].join('\n');
    const { stdout } = await execFileAsync(venvBin('python'), ['-c', script], { env: pythonEnv(env) });
    // The record says celeriac for tasks.quote (the test before set it); the code's route applies to the other.
    expect(JSON.parse(stdout)).toEqual({
      'tasks.quote': 'celeriac',
      'tasks.only_code': 'celeriac',
      error: expect.stringContaining("Expected the route of tasks.x to be 'python', 'celeriac', 'shadow'"),
    });
  });
});
