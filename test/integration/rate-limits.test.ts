/**
 * Fleet-wide limits on the emulator: three `celeriac worker` processes and the Lambda handler (driven like an
 * event source mapping) share one queue and one limit, kept in the results table.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { uniqueName } from '../emulator/unique-name.js';
import { type FlowRun, LIMITED_RATE, registerFlowTasks, TENANT_CONCURRENCY } from '../fixtures/flow-app.js';
import { type CliProcess, startCli } from '../helpers/cli-process.js';
import { pollOnce } from '../helpers/event-source-mapping.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import { busiestWindow, mostAtOnce } from '../helpers/start-windows.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const table = uniqueName('flow-results');
const workers: CliProcess[] = [];

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), table);
});

afterEach(async () => {
  for (const worker of workers.splice(0)) {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
});

/** A queue, three worker processes and a Lambda handler loop on it; `stop()` ends the loop. */
async function fleet(name: string) {
  // maxReceiveCount 4: a message that waits its turn more often than that must not end in the dead-letter queue.
  const { queueUrl, deadLetterUrl } = await createQueueWithDeadLetter(sqs, uniqueName(name), {
    maxReceiveCount: 4,
  });
  const sideLog = path.join(mkdtempSync(path.join(tmpdir(), 'celeriac-flow-')), 'runs.jsonl');
  const env = {
    CELERIAC_QUEUE_URLS: JSON.stringify({ celery: queueUrl }),
    CELERIAC_RESULT_TABLE: table,
    FLOW_SIDE_LOG: sideLog,
  };
  const app = createApp({ env: { ...env, AWS_ENDPOINT_URL: endpoint } });
  registerFlowTasks(app, sideLog);
  for (let i = 0; i < 3; i++) {
    workers.push(
      startCli(
        ['worker', '--app', 'test/fixtures/flow-app.ts', '--wait-time', '1', '--concurrency', '10'],
        env,
      ),
    );
  }
  await Promise.all(workers.map((w) => w.waitFor(/consuming celery/, 60_000)));
  const handler = createSqsHandler(app, { log: () => undefined });
  let stopped = false;
  const lambda = (async () => {
    while (!stopped)
      await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 1, visibilityTimeoutSeconds: 30 });
  })();
  const runs = (): FlowRun[] =>
    readFileSync(sideLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as FlowRun);
  const deadLetters = async (): Promise<number> => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: deadLetterUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible)
    );
  };
  return {
    app,
    runs,
    deadLetters,
    stop: async () => {
      stopped = true;
      await lambda;
    },
  };
}

describe('fleet-wide limits', () => {
  it('three workers and the Lambda handler run 400 tasks limited to 20/s: no 5 s window over 110%, none lost, none twice', async () => {
    const f = await fleet('flow-rate');
    try {
      const results = await f.app.sendTasks<number>(
        Array.from({ length: 400 }, (_, i) => ({ name: 'flow.limited', args: [i] })),
      );
      const values = await Promise.all(results.map((r) => r.get({ timeoutMs: 150_000, intervalMs: 500 })));
      expect(values).toEqual(Array.from({ length: 400 }, (_, i) => i));
      await f.stop();
      const runs = f.runs();
      // Nothing ran twice, nothing was lost.
      expect(runs).toHaveLength(400);
      expect(new Set(runs.map((r) => r.id))).toEqual(new Set(results.map((r) => r.id)));
      const starts = runs.map((r) => r.start);
      expect(busiestWindow(starts, 5000)).toBeLessThanOrEqual(LIMITED_RATE * 5 * 1.1);
      // Every host took part: the Lambda handler (this process) and the three worker processes.
      expect(new Set(runs.map((r) => r.pid)).size).toBe(4);
      expect(await f.deadLetters()).toBe(0);
    } finally {
      await f.stop();
    }
  }, 240_000);

  it('a per-tenant concurrency of 2 is never exceeded across the fleet, while other tenants run beside it', async () => {
    const f = await fleet('flow-key');
    try {
      const tenants = ['acme', 'globex', 'initech'];
      const calls = Array.from({ length: 36 }, (_, i) => ({
        name: 'flow.per_tenant',
        args: [tenants[i % 3] as string, 300],
      }));
      const results = await f.app.sendTasks<string>(calls);
      await Promise.all(results.map((r) => r.get({ timeoutMs: 150_000, intervalMs: 500 })));
      await f.stop();
      const runs = f.runs();
      expect(runs).toHaveLength(36);
      expect(new Set(runs.map((r) => r.id)).size).toBe(36);
      for (const tenant of tenants) {
        const own = runs.filter((r) => r.key === tenant);
        expect(own).toHaveLength(12);
        const sorted = [...own].sort((a, b) => a.start - b.start);
        expect(mostAtOnce(own), `${tenant}'s runs: ${JSON.stringify(sorted)}`).toBeLessThanOrEqual(
          TENANT_CONCURRENCY,
        );
      }
      // The limit is per key: the fleet ran more than two tasks at once overall.
      expect(mostAtOnce(runs)).toBeGreaterThan(TENANT_CONCURRENCY);
      expect(await f.deadLetters()).toBe(0);
    } finally {
      await f.stop();
    }
  }, 240_000);
});
