/**
 * The requests per task of each guarantee, counted at the SDK against the emulator (counts do not depend on its
 * speed): 100 tasks sent with `sendTasks` and drained by the Lambda handler in batches of 10, as the event
 * source mapping delivers them (the long-running worker's: worker-request-floor.test.ts). Counted: the app's SQS and DynamoDB clients, and the mapping's receives and
 * deletes.
 */
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsCallCounter } from '../../bench/aws-call-counter.js';
import { App } from '../../src/app.js';
import { createAwsClients } from '../../src/aws/clients.js';
import { ensureResultTable } from '../../src/aws/index.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { createAwsTransport } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import type { Guarantee } from '../../src/task-options.js';
import { uniqueName } from '../emulator/unique-name.js';
import { pollOnce } from '../helpers/event-source-mapping.js';

const endpoint = process.env.AWS_ENDPOINT_URL ?? '';
const table = uniqueName('floor-results');
const TASKS = 100;
/** Once per drain, not per task: the empty receive that ends it and the limits record's read (every 10 s). */
const PER_DRAIN = 2 / TASKS;

beforeAll(async () => {
  await ensureResultTable(createAwsClients({ endpoint }).dynamodb, table);
});

async function drain(guarantee: Guarantee) {
  const esm = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
  const { QueueUrl: queueUrl } = await esm.send(new CreateQueueCommand({ QueueName: uniqueName('floor') }));
  if (!queueUrl) throw new Error('no queue');
  const settings = resolveConfig({
    queueUrls: { celery: queueUrl },
    resultTable: table,
    env: { AWS_ENDPOINT_URL: endpoint },
  });
  const clients = createAwsClients({ endpoint });
  const app = new App(settings, createAwsTransport(settings, clients));
  app.task('floor.add', (a: number, b: number) => a + b, { guarantee });
  const sent = new AwsCallCounter().watch(clients.sqs);
  const results = await app.sendTasks(
    Array.from({ length: TASKS }, (_, i) => ({ name: 'floor.add', args: [i, 1] })),
  );
  const send = sent.total() / TASKS;
  const worker = new AwsCallCounter().watch(clients.sqs).watch(clients.dynamodb);
  const mapping = new AwsCallCounter().watch(esm);
  const handler = createSqsHandler(app, { log: () => undefined });
  while ((await pollOnce(esm, queueUrl, handler, { waitTimeSeconds: 0 })).records.length > 0) {}
  const calls = worker.snapshot();
  const polled = mapping.snapshot();
  // The driver's own GetQueueAttributes (the event source ARN) is not Lambda's cost; its receives and deletes are.
  const ended = (polled.ReceiveMessage ?? 0) + (polled.DeleteMessageBatch ?? 0);
  const perTask = (worker.total() + ended) / TASKS;
  const values = await Promise.all(results.map((r) => r.get({ timeoutMs: 10_000 })));
  expect(values).toEqual(Array.from({ length: TASKS }, (_, i) => i + 1));
  return { send, calls, worker: perTask };
}

describe('the request floor per task', () => {
  it('effectively once: at most 2.2 requests per task at the worker (receive, claim, result, delete) and 3.2 end to end', async () => {
    const { send, calls, worker } = await drain('effectively-once');
    expect(calls.PutItem).toBe(TASKS); // the claim
    expect(calls.UpdateItem).toBe(TASKS); // the result
    expect(worker).toBeLessThanOrEqual(2.2 + PER_DRAIN);
    expect(send + worker).toBeLessThanOrEqual(3.2);
  });

  it('bulk: at most 0.5 requests per task end to end (batched send, receive, batched result, delete)', async () => {
    const { send, calls, worker } = await drain('bulk');
    console.log(
      `bulk: send ${send.toFixed(2)}, worker ${worker.toFixed(2)} per task; ${JSON.stringify(calls)}`,
    );
    expect(calls.PutItem ?? 0).toBe(0);
    expect(calls.UpdateItem ?? 0).toBe(0);
    // About one BatchWriteItem per batch the mapping delivers (a batch whose runs end further apart than the
    // 10 ms window takes two).
    expect(calls.BatchWriteItem ?? 0).toBeGreaterThanOrEqual(TASKS / 10);
    expect(calls.BatchWriteItem ?? 0).toBeLessThanOrEqual(0.15 * TASKS);
    expect(send + worker).toBeLessThanOrEqual(0.5 + PER_DRAIN);
  });

  it('at least once, one write: at most 1.2 requests per task at the worker, one DynamoDB write each', async () => {
    const { send, calls, worker } = await drain('at-least-once');
    expect(calls.PutItem ?? 0).toBe(0);
    expect(calls.UpdateItem).toBe(TASKS);
    expect(worker).toBeLessThanOrEqual(1.2 + PER_DRAIN);
    expect(send + worker).toBeLessThanOrEqual(1.4);
  });
});
