/**
 * Priorities on the emulator: a client sends by priority band (`priorityQueues`) to a `high` and a `default`
 * queue, both full, and a real `celeriac worker -Q high,default` process drains `high` first, by the weights,
 * while `default` still makes progress.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { uniqueName } from '../emulator/unique-name.js';
import type { TimedRun } from '../fixtures/priority-app.js';
import { startCli } from '../helpers/cli-process.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const table = uniqueName('priority-results');
const PER_QUEUE = 60;
const TASK_MS = 60;

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), table);
});

/** Fills both queues, runs the worker with `-Q <queuesOption>` until every task finished, and returns the runs. */
async function drain(queuesOption: string): Promise<TimedRun[]> {
  const high = await createQueueWithDeadLetter(sqs, uniqueName('high'));
  const low = await createQueueWithDeadLetter(sqs, uniqueName('default'));
  const env = {
    CELERIAC_QUEUE_URLS: JSON.stringify({ high: high.queueUrl, default: low.queueUrl }),
    CELERIAC_RESULT_TABLE: table,
  };
  const client = createApp({
    env: { ...env, AWS_ENDPOINT_URL: endpoint },
    defaultQueue: 'default',
    priorityQueues: [{ queue: 'high', minPriority: 6 }],
  });
  // The default queue is filled first, so its messages are the older ones.
  const results = await client.sendTasks<TimedRun>([
    ...Array.from({ length: PER_QUEUE }, () => ({ name: 'tasks.timed', args: [TASK_MS] })),
    ...Array.from({ length: PER_QUEUE }, () => ({
      name: 'tasks.timed',
      args: [TASK_MS],
      options: { priority: 9 },
    })),
  ]);
  const worker = startCli(
    ['worker', '--app', 'test/fixtures/priority-app.ts', '-Q', queuesOption, '-c', '4', '--wait-time', '1'],
    env,
  );
  try {
    const runs = await Promise.all(results.map((r) => r.get({ timeoutMs: 120_000, intervalMs: 250 })));
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    return runs;
  } finally {
    worker.child.kill('SIGKILL');
  }
}

/**
 * Checks the order against the weights: while `high` has messages, `default` gets `wd / wh` of what `high`
 * gets, so about `PER_QUEUE × wd / wh` default tasks finish before the last high one, and the rest after it.
 */
function expectDrainedByWeights(runs: readonly TimedRun[], wh: number, wd: number): void {
  const highRuns = runs.filter((run) => run.queue === 'high');
  const lowRuns = runs.filter((run) => run.queue === 'default');
  expect(highRuns).toHaveLength(PER_QUEUE);
  expect(lowRuns).toHaveLength(PER_QUEUE);
  const lastHigh = Math.max(...highRuns.map((run) => run.finishedAt));
  const lowBefore = lowRuns.filter((run) => run.finishedAt <= lastHigh).length;
  const expectedBefore = (PER_QUEUE * wd) / wh;
  // Not starved: default made progress while high had work, about as much as its weight gives it.
  expect(lowBefore).toBeGreaterThanOrEqual(Math.floor(expectedBefore / 2));
  expect(lowBefore).toBeLessThanOrEqual(Math.ceil(expectedBefore * 1.5));
  // High first: every high task finished before the last (PER_QUEUE - expectedBefore) / 2 default tasks.
  expect(PER_QUEUE - lowBefore).toBeGreaterThanOrEqual(Math.floor((PER_QUEUE - expectedBefore) / 2));
}

describe('celeriac worker -Q high,default with both queues full', () => {
  it('finishes the high-priority tasks first, with default at half their pace (weights 2:1 by position)', async () => {
    expectDrainedByWeights(await drain('high,default'), 2, 1);
  }, 150_000);

  it('follows explicit weights: -Q high:4,default:1 gives default a quarter of the pace', async () => {
    expectDrainedByWeights(await drain('high:4,default:1'), 4, 1);
  }, 150_000);
});
