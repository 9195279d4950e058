/**
 * What the browser tests run against: a queue with a dead-letter queue (maxReceiveCount 1) and an indexed
 * results table on the emulator, an app whose tasks succeed, fail, retry and form a chain and a chord, run by
 * the Lambda handler as the event source mapping would, two dead letters (a task whose delivery failed and a
 * message that is not a Celery message), the dashboard server in-process on a free loopback port, and Chromium.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type Browser, chromium } from 'playwright-core';
import { every } from '../../src/beat/every.js';
import { chain } from '../../src/canvas/chain.js';
import { chord } from '../../src/canvas/chord.js';
import { buildDashboardAssets } from '../../src/dashboard/assets.js';
import { createDashboardContext } from '../../src/dashboard/dashboard-context.js';
import { type DashboardServer, startDashboardServer } from '../../src/dashboard/server.js';
import { MemorySink } from '../../src/events/memory-sink.js';
import { createApp } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { uniqueName } from '../emulator/unique-name.js';
import { drain } from '../helpers/event-source-mapping.js';
import { createIndexedResultTable } from '../helpers/indexed-result-table.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';

/** Where the browser is: CHROMIUM_PATH, else Debian's (scripts/install-chromium.sh installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const endpoint = process.env.AWS_ENDPOINT_URL;

/** Moves every message of `queueUrl` to its dead-letter queue, as failed deliveries would (moto moves a message
 * on the receive after its receive count reached maxReceiveCount). */
async function deadLetterAll(sqs: SQSClient, queueUrl: string): Promise<void> {
  for (let round = 0; round < 10; round += 1) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
    if (Messages.length === 0 && round > 0) return;
  }
}

/** Starts everything; `close()` stops it. */
export async function startFixture() {
  const sqs = new SQSClient({ endpoint });
  const ddb = new DynamoDBClient({ endpoint });
  const table = uniqueName('dash-results');
  await createIndexedResultTable(ddb, table);
  const queueName = uniqueName('dash');
  const { queueUrl, deadLetterUrl } = await createQueueWithDeadLetter(sqs, queueName, { maxReceiveCount: 1 });
  const memory = new MemorySink();
  const app = createApp({
    name: 'dashdemo',
    queueUrls: { celery: queueUrl },
    resultTable: table,
    resultExtended: true,
    env: { AWS_ENDPOINT_URL: endpoint },
    // A long heartbeat keeps the Lambda environment's one registry record online for the whole file.
    events: { taskIndex: true, sinks: [memory], taskSentEvent: true, heartbeatSeconds: 300 },
  });
  const p = uniqueName('t').replace(/[^a-z0-9]/gi, '');
  const names = { add: `${p}.add`, boom: `${p}.boom`, flaky: `${p}.flaky`, tsum: `${p}.tsum` };
  const add = app.task(names.add, (a: number, b: number) => a + b);
  app.task(names.boom, (reason: string) => {
    throw new TypeError(`boom: ${reason}`);
  });
  app.task(names.flaky, function (this) {
    if (this.retries === 0) throw this.retry({ countdown: 0, exc: new RangeError('not yet') });
    return 'done';
  });
  const tsum = app.task(names.tsum, (values: number[]) => values.reduce((a, b) => a + b, 0));
  app.periodic('dash-every-5m', { task: names.add, schedule: every({ minutes: 5 }), args: [1, 2] });
  const handler = createSqsHandler(app, { log: () => undefined });
  const run = () => drain(sqs, queueUrl, handler);

  const success = await app.sendTask(names.add, [2, 3]);
  const failure = await app.sendTask(names.boom, ['on purpose']);
  const retried = await app.sendTask(names.flaky, []);
  const chained = await chain(add.s(1, 1), add.s(10)).applyAsync();
  const chorded = await chord([add.s(1, 1), add.s(2, 2)], tsum.s()).applyAsync();
  await run();
  await run();
  // Two dead letters: a task whose deliveries failed, and a message that is not a Celery message.
  const lost = await app.sendTask(names.add, [5, 5]);
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'not a celery message' }));
  await deadLetterAll(sqs, queueUrl);
  // A task still waiting for its countdown, to revoke from its page.
  const delayed = await app.sendTask(names.add, [7, 7], {}, { countdown: 3 });
  const dueAtMs = Date.now() + 3500;

  const assetsDir = await mkdtemp(path.join(tmpdir(), 'dashboard-ui-'));
  await buildDashboardAssets(assetsDir);
  const ctx = createDashboardContext(app, { events: memory });
  const server: DashboardServer = await startDashboardServer(ctx, { port: 0, assetsDir });
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM });
  return {
    app,
    sqs,
    queueName,
    queueUrl,
    deadLetterUrl,
    names,
    run,
    /** Waits until the delayed task's countdown has passed. */
    untilDue: () => new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAtMs - Date.now()))),
    ids: {
      success: success.id,
      failure: failure.id,
      retried: retried.id,
      chainFirst: chained.parent?.id ?? '',
      chainLast: chained.id,
      chordBody: chorded.id,
      lost: lost.id,
      delayed: delayed.id,
    },
    server,
    browser,
    close: async () => {
      await browser.close();
      await server.close();
      ctx.close();
      sqs.destroy();
      ddb.destroy();
    },
  };
}
