/**
 * `celeriac worker --pool threads|processes` as a real process against the emulator: a task that never yields
 * is stopped at its hard limit while the worker serves the others, a child that exits fails its task with
 * WorkerLostError, a terminating revoke stops a running task, children are replaced on schedule, and options
 * that make no sense are refused at start.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { uniqueName } from '../emulator/unique-name.js';
import { startCli } from '../helpers/cli-process.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const table = uniqueName('pool-results');

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), table);
});

async function setup() {
  const { queueUrl } = await createQueueWithDeadLetter(sqs, uniqueName('pool'));
  const env = { CELERIAC_QUEUE_URLS: JSON.stringify({ celery: queueUrl }), CELERIAC_RESULT_TABLE: table };
  const client = createApp({ env: { ...env, AWS_ENDPOINT_URL: endpoint } });
  return { env, client };
}

const workerArgs = (extra: string[]) => [
  'worker',
  '--app',
  'test/integration/pool-worker-app.ts',
  '--wait-time',
  '1',
  '--visibility-timeout',
  '4',
  ...extra,
];

const get = { timeoutMs: 60_000, intervalMs: 200 };

describe.each(['threads', 'processes'] as const)('celeriac worker --pool %s', (pool) => {
  it('stops a looping task at its hard limit, survives a child that exits, and terminates on revoke', async () => {
    const { env, client } = await setup();
    const worker = startCli(workerArgs(['--pool', pool, '-c', '2']), env);
    try {
      await worker.waitFor(new RegExp(`running tasks in 2 ${pool}`), 60_000);
      const spin = await client.sendTask('tasks.spin-limited');
      const during = await client.sendTasks<number>(
        Array.from({ length: 6 }, (_, i) => ({ name: 'tasks.add', args: [i, 100] })),
      );
      expect(await Promise.all(during.map((r) => r.get(get)))).toEqual([100, 101, 102, 103, 104, 105]);
      await expect(spin.get(get)).rejects.toMatchObject({ name: 'TimeLimitExceeded' });

      const lost = await client.sendTask('tasks.exit');
      await expect(lost.get(get)).rejects.toMatchObject({ name: 'WorkerLostError', exit: 'exitcode 3' });

      const running = await client.sendTask('tasks.spin-tracked');
      for (let i = 0; i < 100 && (await running.state()) !== 'STARTED'; i++) {
        await new Promise((r) => setTimeout(r, 200));
      }
      await client.revoke(running.id, { terminate: true });
      await worker.waitFor(new RegExp(`${running.id} tasks\\.spin-tracked REVOKED`), 30_000);
      expect(await running.state()).toBe('REVOKED');

      const after = await client.sendTask<number>('tasks.add', [1, 1]);
      expect(await after.get(get)).toBe(2);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toEqual({ code: 0, signal: null });
      expect(worker.output()).toMatch(/FAILURE \d+ms: TimeLimitExceeded/);
    } finally {
      worker.child.kill('SIGKILL');
    }
  }, 180_000);

  it('--max-tasks-per-child 5 replaces children on schedule, losing no task', async () => {
    const { env, client } = await setup();
    const worker = startCli(workerArgs(['--pool', pool, '-c', '1', '--max-tasks-per-child', '5']), env);
    try {
      const results = await client.sendTasks<{ pid: number; threadId: number }>(
        Array.from({ length: 15 }, () => ({ name: 'tasks.where' })),
      );
      const where = await Promise.all(results.map((r) => r.get(get)));
      expect(new Set(where.map((w) => JSON.stringify(w))).size).toBe(3);
      worker.child.kill('SIGTERM');
      expect((await worker.exited).code).toBe(0);
      expect(worker.output()).toMatch(/stopped: SUCCESS 15$/m);
    } finally {
      worker.child.kill('SIGKILL');
    }
  }, 180_000);
});

describe('celeriac worker pool options', () => {
  it.each([
    [['-c', '0'], /--concurrency to be an integer >= 1, got "0"/],
    [['--max-memory-per-child=-1'], /--max-memory-per-child to be an integer >= 1, got "-1"/],
    [['--max-tasks-per-child', '1.5'], /--max-tasks-per-child to be an integer >= 1/],
    [['--pool', 'gevent'], /--pool to be one of inline, threads, processes, got "gevent"/],
    [
      ['--pool', 'processes', '--autoscale', '2,3'],
      /--autoscale to be max,min with integers max >= min >= 1/,
    ],
    [['--autoscale', '4,2'], /--autoscale needs --pool threads or --pool processes/],
    [['--wait-time', '21'], /--wait-time to be an integer from 0 to 20, got "21"/],
    [['--visibility-timeout', '0'], /--visibility-timeout to be an integer from 2 to 43200, got "0"/],
    [['--visibility-timeout', '1.5'], /--visibility-timeout to be an integer from 2 to 43200, got "1.5"/],
  ])('refuses %j at start with the accepted range', async (extra, message) => {
    const cli = startCli(workerArgs(extra));
    expect((await cli.exited).code).toBe(2);
    expect(cli.output()).toMatch(message);
  });
});
