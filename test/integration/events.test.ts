/**
 * Celery's task and worker events on the emulator: the Lambda handler and `celeriac worker` send them through the
 * EventBridge sink to a real bus (moto), whose rule delivers them to an SQS queue, where this test reads them back
 * in the order they were sent. Also counts the AWS requests the sink adds per task.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import { createAwsClients } from '../../src/aws/clients.js';
import { EventBridgeEventBus } from '../../src/aws/eventbridge-event-bus.js';
import { ensureResultTable } from '../../src/aws/index.js';
import { type AppConfig, resolveConfig } from '../../src/config/resolve-config.js';
import type { CeleryEvent } from '../../src/events/celery-event.js';
import { MemorySink } from '../../src/events/memory-sink.js';
import { createAwsTransport } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { runWorker } from '../../src/worker/run-worker.js';
import { uniqueName } from '../emulator/unique-name.js';
import { pollOnce, queueArn } from '../helpers/event-source-mapping.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const eventbridge = new EventBridgeClient({ endpoint });
const table = uniqueName('events-results');
const quiet = () => undefined;

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), table);
});

/** A bus whose rule sends every celeriac event to a queue this test reads. */
async function busToQueue(): Promise<{ busName: string; readEvents: () => Promise<CeleryEvent[]> }> {
  const busName = uniqueName('bus');
  await eventbridge.send(new CreateEventBusCommand({ Name: busName }));
  const { QueueUrl: tailUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('tail') }));
  if (!tailUrl) throw new Error('no tail queue');
  await eventbridge.send(
    new PutRuleCommand({
      Name: 'all',
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: ['celeriac'] }),
    }),
  );
  await eventbridge.send(
    new PutTargetsCommand({
      Rule: 'all',
      EventBusName: busName,
      Targets: [{ Id: 'tail', Arn: await queueArn(sqs, tailUrl) }],
    }),
  );
  const readEvents = async (): Promise<CeleryEvent[]> => {
    const events: CeleryEvent[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: tailUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) break;
      for (const message of Messages) {
        const entry = JSON.parse(message.Body ?? '{}');
        expect(entry).toMatchObject({ source: 'celeriac', 'detail-type': entry.detail.type });
        events.push(entry.detail);
      }
    }
    return events.sort((a, b) => a.clock - b.clock);
  };
  return { busName, readEvents };
}

type Counts = Record<string, number>;

/** An app on new queues whose SDK clients count every call by command name. */
async function countedApp(config: AppConfig) {
  const { queueUrl } = await createQueueWithDeadLetter(sqs, uniqueName('events'));
  const counts: Counts = {};
  const count = (client: { middlewareStack: { add: (...args: never[]) => void } }) =>
    (client.middlewareStack.add as (mw: unknown, options: unknown) => void)(
      (next: (args: unknown) => unknown, context: { commandName: string }) => (args: unknown) => {
        counts[context.commandName] = (counts[context.commandName] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize' },
    );
  const settings = resolveConfig({
    ...config,
    queueUrls: { celery: queueUrl },
    resultTable: table,
    env: { AWS_ENDPOINT_URL: endpoint },
  });
  const clients = createAwsClients({ endpoint });
  const busClient = new EventBridgeClient({ endpoint });
  for (const client of [clients.sqs, clients.dynamodb, await clients.s3(), busClient]) count(client);
  const transport = {
    ...createAwsTransport(settings, clients),
    eventBus: new EventBridgeEventBus({ client: busClient, eventBusName: settings.events.eventBusName }),
  };
  const app = new App(settings, transport);
  app.task('tasks.add', (a: number, b: number) => a + b);
  app.task('tasks.boom', () => {
    throw new TypeError('boom');
  });
  app.task('tasks.flaky', function (this) {
    if (this.retries === 0) throw this.retry({ countdown: 0, exc: new RangeError('not yet') });
    return 'done';
  });
  return { app, queueUrl, counts };
}

/** Polls like the event source mapping until the queue is empty. */
async function drain(queueUrl: string, handler: ReturnType<typeof createSqsHandler>): Promise<number> {
  let batches = 0;
  for (;;) {
    const poll = await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 0 });
    if (poll.records.length === 0) return batches;
    batches += 1;
  }
}

const typesOf = (events: readonly CeleryEvent[], uuid: string) =>
  events.filter((event) => (event as { uuid?: string }).uuid === uuid).map((event) => event.type);

describe('events on the emulator', () => {
  it('the Lambda handler sends every event type in order for a success, a failure, a retry, a revoke and an expiry', async () => {
    const { busName, readEvents } = await busToQueue();
    const memory = new MemorySink();
    const { app, queueUrl } = await countedApp({
      events: { sinks: [memory, 'eventbridge'], eventBusName: busName, taskSentEvent: true },
    });
    const success = await app.sendTask('tasks.add', [2, 3]);
    const failure = await app.sendTask('tasks.boom', []);
    const retry = await app.sendTask('tasks.flaky', []);
    const revoked = await app.sendTask('tasks.add', [1, 1]);
    await app.revoke(revoked.id);
    const expired = await app.sendTask('tasks.add', [1, 1], {}, { expires: new Date(Date.now() - 1000) });
    await drain(queueUrl, createSqsHandler(app, { log: quiet }));
    expect(await retry.get({ timeoutMs: 5000 })).toBe('done');

    const events = await readEvents();
    expect(events.map((event) => event.clock)).toEqual(memory.events.map((event) => event.clock));
    expect(typesOf(events, success.id)).toEqual([
      'task-sent',
      'task-received',
      'task-started',
      'task-succeeded',
    ]);
    expect(typesOf(events, failure.id)).toEqual([
      'task-sent',
      'task-received',
      'task-started',
      'task-failed',
    ]);
    expect(typesOf(events, retry.id)).toEqual([
      'task-sent',
      'task-received',
      'task-started',
      'task-sent',
      'task-retried',
      'task-received',
      'task-started',
      'task-succeeded',
    ]);
    expect(typesOf(events, revoked.id)).toEqual(['task-sent', 'task-revoked']);
    expect(typesOf(events, expired.id)).toEqual(['task-sent', 'task-revoked']);
    const byType = (uuid: string, type: string) =>
      events.find((event) => (event as { uuid?: string }).uuid === uuid && event.type === type);
    expect(byType(success.id, 'task-succeeded')).toMatchObject({
      result: '5',
      hostname: expect.stringMatching(/^celeriac@/),
    });
    expect(byType(failure.id, 'task-failed')).toMatchObject({ exception: "TypeError('boom')" });
    expect(byType(retry.id, 'task-retried')).toMatchObject({ exception: "RangeError('not yet')" });
    expect(byType(expired.id, 'task-revoked')).toMatchObject({ expired: true, terminated: false });
    expect(byType(revoked.id, 'task-revoked')).toMatchObject({ expired: false, terminated: false });
    const online = events.filter((event) => event.type === 'worker-online');
    expect(online).toHaveLength(1);
    expect(online[0]).toMatchObject({ sw_ident: 'celeriac', freq: 30, active: expect.any(Number) });
  });

  it('celeriac worker sends worker-online, its task events, and worker-offline when it stops', async () => {
    const { busName, readEvents } = await busToQueue();
    const { app } = await countedApp({
      events: { sinks: ['eventbridge'], eventBusName: busName, heartbeatSeconds: 0.2 },
    });
    const worker = runWorker(app, { waitTimeSeconds: 1, log: quiet });
    const result = await app.sendTask('tasks.add', [20, 22]);
    expect(await result.get({ timeoutMs: 10_000 })).toBe(42);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await worker.stop();
    const events = await readEvents();
    const workerTypes = events.filter((event) => event.type.startsWith('worker-')).map((event) => event.type);
    expect(workerTypes[0]).toBe('worker-online');
    expect(workerTypes.at(-1)).toBe('worker-offline');
    expect(workerTypes).toContain('worker-heartbeat');
    expect(typesOf(events, result.id)).toEqual(['task-received', 'task-started', 'task-succeeded']);
    const offline = events.at(-1);
    expect(offline).toMatchObject({
      type: 'worker-offline',
      hostname: worker.identity.hostname,
      processed: 1,
      active: 0,
    });
  });

  it('adds only batched PutEvents calls: the SQS and DynamoDB requests per task are the same as with events off', async () => {
    const { busName } = await busToQueue();
    const tasks = 40;
    const run = async (config: AppConfig) => {
      const { app, queueUrl, counts } = await countedApp(config);
      const results = await app.sendTasks(
        Array.from({ length: tasks }, (_, i) => ({ name: 'tasks.add', args: [i, i] })),
      );
      const batches = await drain(queueUrl, createSqsHandler(app, { log: quiet }));
      for (const [i, result] of results.entries()) expect(await result.get({ timeoutMs: 5000 })).toBe(2 * i);
      return { counts, batches };
    };
    const off = await run({});
    const on = await run({ events: { sinks: ['eventbridge'], eventBusName: busName } });
    const { PutEventsCommand: putEvents = 0, ...others } = on.counts;
    expect(others).toEqual(off.counts);
    expect(off.counts.PutEventsCommand).toBeUndefined();
    // received, started, succeeded per task, and worker-online once: batched 10 to a call.
    const events = tasks * 3 + 1;
    expect(putEvents).toBeGreaterThanOrEqual(Math.ceil(events / 10));
    expect(putEvents).toBeLessThanOrEqual(Math.ceil(events / 10) + on.batches);
    const perTask = (counts: Counts) => Object.values(counts).reduce((sum, n) => sum + n, 0) / tasks;
    console.log(
      `requests per task: events off ${perTask(off.counts).toFixed(2)}, eventbridge sink ${perTask(on.counts).toFixed(2)} ` +
        `(PutEvents ${(putEvents / tasks).toFixed(2)} per task, ${on.batches} Lambda batches)`,
    );
  });
});
