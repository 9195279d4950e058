/**
 * A task name switched from Python Celery to celeriac at run time, while tasks flow: a real Python Celery worker
 * (with `celeriac_celery.enable`) and a `celeriac worker` read one shared queue, and each also reads a queue of
 * its own for messages handed over to it. `celeriac route migration.mark python` first, then, with tasks still
 * being sent, `celeriac route migration.mark celeriac`. Every task runs exactly once (a side-channel table counts
 * each side's runs), every result arrives, no message is left on any queue or dead-letter queue, messages went
 * over in both directions, and the tasks sent once the workers re-read the routes ran on celeriac.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { uniqueName } from '../emulator/unique-name.js';
import { type CliProcess, startCli } from '../helpers/cli-process.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import {
  createRunsTable,
  type MigrationPythonWorker,
  readRuns,
  runCli,
  startMigrationPythonWorker,
} from './fixtures/migration-fleet.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const ddb = new DynamoDBClient({ endpoint });
const prefix = `${uniqueName('mig-switch')}-`;
const resultTable = uniqueName('mig-switch-results');
const runsTable = uniqueName('mig-switch-runs');
const TASK = 'migration.mark';
const env = {
  CELERIAC_TEST_QUEUE_PREFIX: prefix,
  CELERIAC_TEST_RESULT_TABLE: resultTable,
  CELERIAC_RESULT_TABLE: resultTable,
  MIGRATION_RUNS_TABLE: runsTable,
  CELERIAC_MIGRATION_REFRESH_SECONDS: '1',
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function messagesLeft(url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

describe('a task name switched from Python to celeriac at run time', () => {
  let queues: Record<'shared' | 'python' | 'celeriac', { queueUrl: string; deadLetterUrl: string }>;
  let python: MigrationPythonWorker | undefined;
  let celeriac: CliProcess | undefined;

  beforeAll(async () => {
    const [shared, own, other] = await Promise.all(
      ['celery', 'python', 'celeriac'].map((name) =>
        createQueueWithDeadLetter(sqs, `${prefix}${name}`, {
          maxReceiveCount: 10,
          visibilityTimeoutSeconds: 30,
        }),
      ),
    );
    queues = {
      shared: shared as { queueUrl: string; deadLetterUrl: string },
      python: own as { queueUrl: string; deadLetterUrl: string },
      celeriac: other as { queueUrl: string; deadLetterUrl: string },
    };
    await Promise.all([ensureResultTable(ddb, resultTable), createRunsTable(ddb, runsTable)]);
    const routed = await runCli(
      [
        'route',
        TASK,
        'python',
        '--python-queue',
        queues.python.queueUrl,
        '--celeriac-queue',
        queues.celeriac.queueUrl,
      ],
      env,
    );
    expect(routed.code, routed.output).toBe(0);
    celeriac = startCli(
      [
        'worker',
        '--app',
        'test/interop/fixtures/migration-app.ts',
        '--queues',
        'celery,celeriac',
        '--wait-time',
        '1',
        '--concurrency',
        '4',
      ],
      env,
    );
    [python] = await Promise.all([
      startMigrationPythonWorker({ queues: ['celery', 'python'], env }),
      celeriac.waitFor(/consuming/),
    ]);
  }, 60_000);

  afterAll(async () => {
    celeriac?.child.kill('SIGTERM');
    await celeriac?.exited;
    await python?.stop();
  }, 30_000);

  it('runs every task once, on the side the route names, and leaves nothing waiting', async () => {
    const client = createApp({
      queueUrls: { celery: queues.shared.queueUrl },
      resultTable,
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    const send = (keys: number[]) =>
      client.sendTasks<number>(keys.map((key) => ({ name: TASK, args: [key] })));
    const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

    // Routed to Python: 150 tasks, sent over 1.5 s.
    const results = [];
    for (let batch = 0; batch < 5; batch += 1) {
      results.push(...(await send(range(batch * 30, 30))));
      await sleep(300);
    }
    const switched = await runCli(['route', TASK, 'celeriac'], env);
    expect(switched.code, switched.output).toBe(0);
    expect(switched.output).toContain(`${TASK}: celeriac python-queue=${queues.python.queueUrl}`);
    // Sent while the workers pick the new route up (they re-read it every second).
    results.push(...(await send(range(150, 60))));
    await sleep(2500);
    // Sent once every worker follows the new route: celeriac runs all of these.
    const late = range(210, 90);
    results.push(...(await send(late)));

    const values = await Promise.all(results.map((result) => result.get({ timeoutMs: 60_000 })));
    expect(values).toEqual(range(0, 300).map((key) => key * 2));

    const runs = await readRuns(ddb, runsTable);
    expect(runs.size).toBe(300);
    for (const key of range(0, 300)) expect(runs.get(key)?.finishes, `runs of key ${key}`).toBe(1);
    for (const key of late) expect(runs.get(key)?.sides, `side of key ${key}`).toEqual(['ts']);
    const sides = [...runs.values()].map((run) => run.sides[0]);
    expect(sides.filter((side) => side === 'py').length).toBeGreaterThan(0);

    // Handed over both ways: celeriac to Python's queue before the switch, Python to celeriac's after.
    expect(celeriac?.output()).toMatch(
      new RegExp(`${TASK} HANDED_OVER( \\d+ms)?: routed to python: re-sent to`),
    );
    expect(python?.logs()).toMatch(/migration\.mark\[[^\]]+\] routed to celeriac: re-sent to/);

    // Nothing left waiting, nothing dead-lettered.
    const all = Object.values(queues).flatMap((q) => [q.queueUrl, q.deadLetterUrl]);
    let left = -1;
    for (let attempt = 0; attempt < 20 && left !== 0; attempt += 1) {
      left = (await Promise.all(all.map(messagesLeft))).reduce((a, b) => a + b, 0);
      if (left !== 0) await sleep(500);
    }
    expect(left).toBe(0);
  }, 80_000);
});
