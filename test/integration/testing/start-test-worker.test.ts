/**
 * The testing kit's worker against the emulator the suite starts: SQS queues and a DynamoDB results table on
 * moto, an app built with `createApp` exactly as a deployed project builds it, and the worker in this process.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../../src/aws/index.js';
import { createApp } from '../../../src/index.js';
import { MessageState, startTestWorker, type TestWorker } from '../../../src/testing/index.js';
import { uniqueName } from '../../emulator/unique-name.js';
import { createQueueWithDeadLetter } from '../../helpers/sqs-queues.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const table = uniqueName('test-worker-results');
let worker: TestWorker;

async function emulatorApp() {
  const { queueUrl } = await createQueueWithDeadLetter(sqs, uniqueName('test-worker'));
  return createApp({ endpoint, queueUrls: { celery: queueUrl }, resultTable: table, env: {} });
}

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), table);
});

afterAll(async () => {
  await worker?.stop();
});

describe('startTestWorker on the emulator', () => {
  it('runs tasks from an SQS queue and stores their results in DynamoDB, where the caller reads them', async () => {
    const app = await emulatorApp();
    const add = app.task('tasks.add', (a: number, b: number) => a + b);
    const divide = app.task('tasks.divide', (a: number, b: number) => {
      if (b === 0) throw new RangeError('division by zero');
      return a / b;
    });
    worker = await startTestWorker(app);
    const [sum, quotient, failed] = await Promise.all([
      add.delay(2, 3),
      divide.delay(9, 3),
      divide.delay(1, 0),
    ]);
    expect(await sum.get({ timeoutMs: 20_000 })).toBe(5);
    expect(await quotient.get({ timeoutMs: 20_000 })).toBe(3);
    expect((await worker.waitFor(failed.id, { timeoutMs: 20_000 })).state).toBe(MessageState.FAILURE);
    expect(await failed.state()).toBe('FAILURE');
    await worker.stop();
    expect(worker.outcomes.map((o) => o.state).sort()).toEqual(['FAILURE', 'SUCCESS', 'SUCCESS']);
  });

  it('rejects at start, naming the queue, when a queue does not exist on the emulator', async () => {
    const app = createApp({ endpoint, resultTable: table, env: {} });
    const missing = uniqueName('missing');
    const error = await startTestWorker(app, { queues: [missing] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(missing);
  });
});
