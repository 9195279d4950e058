/**
 * The requests per task of the long-running worker (`runWorker`, what `celeriac worker` runs), counted at the SDK
 * against the emulator (counts do not depend on its speed): a backlog sent with `sendTasks` before the worker
 * starts, drained at concurrency 10 (and 1), from one queue and from several. Counted: the app's SQS and DynamoDB
 * clients while the worker runs, from its start to its stop.
 */
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsCallCounter, perTask } from '../../bench/aws-call-counter.js';
import { App } from '../../src/app.js';
import { createAwsClients } from '../../src/aws/clients.js';
import { ensureResultTable } from '../../src/aws/index.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { createAwsTransport } from '../../src/index.js';
import type { Guarantee } from '../../src/task-options.js';
import { runWorker } from '../../src/worker/run-worker.js';
import { uniqueName } from '../emulator/unique-name.js';

const endpoint = process.env.AWS_ENDPOINT_URL ?? '';
const table = uniqueName('worker-floor-results');
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });

beforeAll(async () => {
  await ensureResultTable(createAwsClients({ endpoint }).dynamodb, table);
});

interface Drain {
  /** Every SDK call the worker made, by operation. */
  readonly calls: Record<string, number>;
  readonly tasks: number;
  /**
   * Calls per task made once per drain, not per task: for each queue the empty receive that ends it and the last,
   * partial delete batch; a probe a second of each queue already drained while another still has messages; the
   * limits record's read, once every 10 s.
   */
  readonly perDrain: number;
  /** Receives per task made once per drain: the empty receives that end it and the probes. */
  readonly receivesPerDrain: number;
  /** `sendTasks`' requests per task. */
  readonly send: number;
  /** The tasks of each queue, in the order they started. */
  readonly started: string[];
}

/** Sends `perQueue` tasks to each of `queueCount` queues, then drains them all with one worker. */
async function drain(
  queueCount: number,
  perQueue: number,
  concurrency: number,
  guarantee: Guarantee = 'effectively-once',
): Promise<Drain> {
  const names = Array.from({ length: queueCount }, (_, i) => `q${i}`);
  const urls: Record<string, string> = {};
  for (const name of names) {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName(`wfloor-${name}`) }));
    if (!QueueUrl) throw new Error('no queue');
    urls[name] = QueueUrl;
  }
  const settings = resolveConfig({
    queueUrls: urls,
    resultTable: table,
    defaultQueue: 'q0',
    env: { AWS_ENDPOINT_URL: endpoint },
  });
  const clients = createAwsClients({ endpoint });
  const app = new App(settings, createAwsTransport(settings, clients));
  const started: string[] = [];
  app.task(
    'floor.add',
    function (a: number, b: number) {
      started.push(this.queue ?? '');
      return a + b;
    },
    { guarantee },
  );
  const tasks = queueCount * perQueue;
  const sent = new AwsCallCounter().watch(clients.sqs);
  const results = await app.sendTasks(
    names.flatMap((queue) =>
      Array.from({ length: perQueue }, (_, i) => ({ name: 'floor.add', args: [i, 1], options: { queue } })),
    ),
  );
  const send = sent.total() / tasks;
  const counter = new AwsCallCounter().watch(clients.sqs).watch(clients.dynamodb);
  const startedAt = Date.now();
  let done = 0;
  let finished: () => void = () => undefined;
  const all = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const worker = runWorker(app, {
    queues: names,
    concurrency,
    waitTimeSeconds: 1,
    log: () => undefined,
    onOutcome: () => {
      if (++done === tasks) finished();
    },
  });
  await all;
  await worker.stop();
  const calls = counter.snapshot();
  const seconds = Math.ceil((Date.now() - startedAt) / 1000);
  const receivesPerDrain = (queueCount + (queueCount - 1) * seconds) / tasks;
  const perDrain = receivesPerDrain + (queueCount + 1 + Math.ceil(seconds / 10)) / tasks;
  const values = await Promise.all(results.map((r) => r.get({ timeoutMs: 10_000 })));
  expect(values).toEqual(names.flatMap(() => Array.from({ length: perQueue }, (_, i) => i + 1)));
  return { calls, tasks, perDrain, receivesPerDrain, started, send };
}

const total = (calls: Record<string, number>) => Object.values(calls).reduce((sum, n) => sum + n, 0);

describe('the long-running worker’s request floor per task', () => {
  it('at concurrency 10 over a backlog of 300: about 0.1 receives per task, at most 2.2 requests in all', async () => {
    const { calls, tasks, perDrain } = await drain(1, 300, 10);
    console.log(`worker c10, 1 queue: ${perTask(calls, tasks)}; total ${(total(calls) / tasks).toFixed(2)}`);
    expect(calls.PutItem).toBe(tasks); // the claim
    expect(calls.UpdateItem).toBe(tasks); // the result
    expect((calls.ReceiveMessage ?? 0) / tasks).toBeLessThanOrEqual(0.12);
    expect((calls.DeleteMessageBatch ?? 0) / tasks).toBeLessThanOrEqual(0.12);
    expect(total(calls) / tasks).toBeLessThanOrEqual(2.2 + perDrain);
  });

  it('at concurrency 1: full batches too, the prefetched messages waiting their turn', async () => {
    const { calls, tasks, perDrain } = await drain(1, 60, 1);
    console.log(`worker c1, 1 queue: ${perTask(calls, tasks)}; total ${(total(calls) / tasks).toFixed(2)}`);
    expect((calls.ReceiveMessage ?? 0) / tasks).toBeLessThanOrEqual(0.1 + 1 / tasks);
    expect(total(calls) / tasks).toBeLessThanOrEqual(2.2 + perDrain);
  });

  it('with 4 queues full: still about 0.1 receives per task, one queue per receive, every queue drained', async () => {
    const { calls, tasks, perDrain, receivesPerDrain, started } = await drain(4, 75, 10);
    console.log(`worker c10, 4 queues: ${perTask(calls, tasks)}; total ${(total(calls) / tasks).toFixed(2)}`);
    expect((calls.ReceiveMessage ?? 0) / tasks).toBeLessThanOrEqual(0.1 + receivesPerDrain);
    expect(total(calls) / tasks).toBeLessThanOrEqual(2.2 + perDrain);
    // By weight (4:3:2:1 by position): the first queue is done before the last is.
    const last = (queue: string) => started.lastIndexOf(queue);
    expect(last('q0')).toBeLessThan(last('q3'));
  });

  it('bulk at concurrency 10: at most 0.5 requests per task end to end, results written in batches', async () => {
    const { calls, tasks, perDrain, send } = await drain(1, 300, 10, 'bulk');
    const worker = total(calls) / tasks;
    console.log(
      `worker bulk c10: send ${send.toFixed(2)}; ${perTask(calls, tasks)}; total ${worker.toFixed(2)}`,
    );
    expect(calls.PutItem ?? 0).toBe(0);
    expect(calls.UpdateItem ?? 0).toBe(0);
    // A write holds the results of the tasks that end together (up to 25): at concurrency 10, about 10.
    expect(calls.BatchWriteItem ?? 0).toBeLessThanOrEqual(0.12 * tasks);
    expect(send + worker).toBeLessThanOrEqual(0.5 + perDrain);
  });
});
