/**
 * `celeriac worker` as a real process against the emulator: it drains a queue, and on SIGTERM stops receiving,
 * lets running tasks finish or hands them back, and exits cleanly, losing nothing.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { uniqueName } from '../emulator/unique-name.js';
import { startCli } from '../helpers/cli-process.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const table = uniqueName('cli-results');

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), table);
});

async function queueDepth(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
}

async function setup() {
  const { queueUrl } = await createQueueWithDeadLetter(sqs, uniqueName('cli'));
  const env = { CELERIAC_QUEUE_URLS: JSON.stringify({ celery: queueUrl }), CELERIAC_RESULT_TABLE: table };
  const client = createApp({ env: { ...env, AWS_ENDPOINT_URL: endpoint } });
  return { queueUrl, env, client };
}

const workerArgs = (extra: string[] = []) => [
  'worker',
  '--app',
  'test/fixtures/worker-app.ts',
  '--wait-time',
  '1',
  ...extra,
];

describe('celeriac worker', () => {
  it('drains a queue of 200 tasks, then exits cleanly on SIGTERM', async () => {
    const { env, client } = await setup();
    const results = await client.sendTasks<number>(
      Array.from({ length: 200 }, (_, i) => ({ name: 'tasks.add', args: [i, 1] })),
    );
    const worker = startCli(workerArgs(['--concurrency', '10']), env);
    try {
      await worker.waitFor(/consuming celery/);
      const values = await Promise.all(results.map((r) => r.get({ timeoutMs: 120_000, intervalMs: 500 })));
      expect(values).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toEqual({ code: 0, signal: null });
      expect(worker.output()).toMatch(/SIGTERM received/);
      expect(worker.output()).toMatch(/stopped: SUCCESS 200/);
      expect(worker.output().match(/^task \S+ tasks\.add SUCCESS \d+ms$/gm)).toHaveLength(200);
    } finally {
      worker.child.kill('SIGKILL');
    }
  }, 180_000);

  it('on SIGTERM lets short tasks finish and hands long ones back, losing none', async () => {
    const { queueUrl, env, client } = await setup();
    const short = await client.sendTasks<number>(
      Array.from({ length: 3 }, () => ({ name: 'tasks.sleep', args: [500] })),
    );
    const long = await client.sendTasks<number>(
      Array.from({ length: 3 }, () => ({ name: 'tasks.sleep', args: [20_000] })),
    );
    const worker = startCli(workerArgs(['--concurrency', '6', '--shutdown-timeout', '3']), env);
    try {
      await worker.waitFor(/consuming celery/);
      for (let i = 0; i < 50 && (await queueDepth(queueUrl)).inFlight < 6; i++)
        await new Promise((r) => setTimeout(r, 200));
      expect((await queueDepth(queueUrl)).inFlight).toBe(6);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toEqual({ code: 0, signal: null });
      expect(worker.output()).toMatch(/handing 3 running task\(s\) back/);
    } finally {
      worker.child.kill('SIGKILL');
    }
    expect(await Promise.all(short.map((r) => r.get({ timeoutMs: 1000 })))).toEqual([500, 500, 500]);
    expect(await Promise.all(long.map((r) => r.state()))).toEqual(['PENDING', 'PENDING', 'PENDING']);
    expect(await queueDepth(queueUrl)).toEqual({ visible: 3, inFlight: 0 });
    // A new worker picks the handed-back tasks up and finishes them.
    const next = startCli(workerArgs(['--concurrency', '3']), env);
    try {
      expect(await Promise.all(long.map((r) => r.get({ timeoutMs: 60_000 })))).toEqual([
        20_000, 20_000, 20_000,
      ]);
      next.child.kill('SIGTERM');
      expect((await next.exited).code).toBe(0);
    } finally {
      next.child.kill('SIGKILL');
    }
  }, 120_000);

  it('exits with a usage error and a clear message without --app', async () => {
    const cli = startCli(['worker']);
    expect((await cli.exited).code).toBe(2);
    expect(cli.output()).toMatch(/--app is required/);
  });
});
