/**
 * The Python hook (`python/celeriac_events`) in real Python Celery on the emulator: a Celery producer and worker
 * with `celeriac_events.install(app)` send a success and a failure, and the events they put on an EventBridge bus
 * (moto), read back through a rule that targets an SQS queue, have the types, order and field names that
 * celeriac's own producer and Lambda handler send for the same tasks (a success, a failure, an expired task,
 * an unregistered task) on the same bus. With the task index on,
 * `DynamoDbTaskIndex.query` lists the Python worker's tasks next to celeriac's.
 */
import path from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { celeryTaskKey } from '../../src/aws/celery-keys.js';
import { DynamoDbTaskIndex } from '../../src/aws/dynamodb-task-index.js';
import { indexKey } from '../../src/aws/task-index-attributes.js';
import type { CeleryEvent } from '../../src/events/celery-event.js';
import { createApp } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { repoRoot } from '../emulator/moto-server.js';
import { uniqueName } from '../emulator/unique-name.js';
import { drain, queueArn } from '../helpers/event-source-mapping.js';
import { createIndexedResultTable } from '../helpers/indexed-result-table.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import { fixturesDir, runPython, startPythonWorker } from './helpers/python-celery.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const ddb = new DynamoDBClient({ endpoint });
const eventbridge = new EventBridgeClient({ endpoint });
const resultTable = uniqueName('pyhook-results');
const queuePrefix = `${uniqueName('pyhook')}-`;
const hookDir = path.join(repoRoot, 'python', 'celeriac_events');

type AnyEvent = CeleryEvent & { uuid?: string };

/** A bus whose rule sends every celeriac event to a queue; `read()` returns all events seen so far. */
async function busToQueue(): Promise<{ busName: string; read: () => Promise<AnyEvent[]> }> {
  const busName = uniqueName('pyhook-bus');
  await eventbridge.send(new CreateEventBusCommand({ Name: busName }));
  const { QueueUrl: tailUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: uniqueName('pyhook-tail') }),
  );
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
  const seen: AnyEvent[] = [];
  const read = async (): Promise<AnyEvent[]> => {
    for (;;) {
      // Received messages stay invisible for the queue's visibility timeout, so each one is read once.
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: tailUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return seen;
      for (const message of Messages) {
        const entry = JSON.parse(message.Body ?? '{}');
        expect(entry).toMatchObject({ source: 'celeriac', 'detail-type': entry.detail.type });
        seen.push(entry.detail);
      }
    }
  };
  return { busName, read };
}

/**
 * One task's events in the order they were sent: the producer's task-sent first, then the worker's by time and
 * by its Lamport clock. The producer sends task-sent after its SendMessage returns, so a worker that receives at
 * once can stamp task-received a millisecond earlier, in another process: times do not order the two senders.
 */
const eventsOf = (events: readonly AnyEvent[], uuid: string): AnyEvent[] =>
  events
    .filter((event) => event.uuid === uuid)
    .sort(
      (a, b) =>
        Number(b.type === 'task-sent') - Number(a.type === 'task-sent') ||
        a.timestamp - b.timestamp ||
        a.clock - b.clock,
    );

/** An event's field names with the JSON type of each value (`null` apart), the shape both sides must share. */
const shapeOf = (event: AnyEvent): Record<string, string> =>
  Object.fromEntries(
    Object.entries(event)
      .map(([key, value]) => [key, value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  await createIndexedResultTable(ddb, resultTable);
});

describe('the Python events hook with real Celery', () => {
  it("sends celeriac's events, in celeriac's order and shapes, and indexes Python's tasks next to celeriac's", {
    timeout: 120_000,
  }, async () => {
    const { busName, read } = await busToQueue();
    const hookEnv = {
      PYTHONPATH: [fixturesDir, hookDir].join(path.delimiter),
      CELERIAC_TEST_EVENTS: '1',
      CELERIAC_EVENTS: 'eventbridge',
      CELERIAC_EVENT_BUS: busName,
      CELERIAC_TASK_SEND_SENT_EVENT: 'true',
      CELERIAC_TASK_INDEX: 'true',
    };

    // celeriac's side: its producer and Lambda handler, on the same bus and results table.
    const { queueUrl } = await createQueueWithDeadLetter(sqs, uniqueName('pyhook-ts'));
    const app = createApp({
      queueUrls: { celery: queueUrl },
      resultTable,
      env: { AWS_ENDPOINT_URL: endpoint },
      events: { sinks: ['eventbridge'], eventBusName: busName, taskSentEvent: true, taskIndex: true },
    });
    app.task('tasks.add', (a: number, b: number) => a + b);
    app.task('tasks.boom', () => {
      throw new TypeError('boom');
    });
    const tsSuccess = await app.sendTask('tasks.add', [2, 3]);
    const tsFailure = await app.sendTask('tasks.boom', []);
    const tsExpired = await app.sendTask('tasks.add', [1, 1], {}, { expires: new Date(Date.now() - 1000) });
    const tsUnknown = await app.sendTask('tasks.nope', []);
    await drain(sqs, queueUrl, createSqsHandler(app, { log: () => undefined }));
    await app.runtime.events?.flush();

    // Python's side: a Celery worker and a Celery producer, both with the hook installed.
    const worker = await startPythonWorker({ queuePrefix, resultTable, env: hookEnv });
    let py: { success: string; failure: string; expired: string; unknown: string };
    try {
      py = await runPython<typeof py>(
        [
          'import json',
          'from datetime import datetime, timedelta, timezone',
          'from celeriac_fixtures import tasks',
          'from celeriac_fixtures.app import app',
          'ok = tasks.add.delay(2, 3)',
          'bad = tasks.boom.delay()',
          'old = tasks.add.apply_async((1, 1), expires=datetime.now(timezone.utc) - timedelta(seconds=1))',
          'assert ok.get(timeout=30) == 5',
          'bad.get(timeout=30, propagate=False)',
          'nope = app.send_task("tasks.nope")',
          'old.get(timeout=30, propagate=False)',
          'nope.get(timeout=30, propagate=False)',
          'print(json.dumps({"success": ok.id, "failure": bad.id, "expired": old.id, "unknown": nope.id}))',
        ].join('\n'),
        { queuePrefix, resultTable, env: hookEnv, timeoutMs: 60_000 },
      );
      // The sinks send every second, the producer's and the worker's apart: wait until every task's first
      // (task-sent, from the producer) and last events (from the worker) arrived.
      await until('the Python producer and worker events', async () => {
        const events = await read();
        const done = (uuid: string, type: string) => eventsOf(events, uuid).some((e) => e.type === type);
        return [py.success, py.failure, py.expired, py.unknown].every((id) => done(id, 'task-sent')) &&
          done(py.success, 'task-succeeded') &&
          done(py.failure, 'task-failed') &&
          done(py.expired, 'task-revoked') &&
          done(py.unknown, 'task-failed')
          ? true
          : undefined;
      });
    } finally {
      await worker.stop();
    }
    const events = await until('worker-offline', async () => {
      const all = await read();
      return all.some((e) => e.type === 'worker-offline' && e.pid === worker.pid) ? all : undefined;
    });

    for (const [pyId, tsId] of [
      [py.success, tsSuccess.id],
      [py.failure, tsFailure.id],
      [py.expired, tsExpired.id],
      [py.unknown, tsUnknown.id],
    ] as const) {
      const pyEvents = eventsOf(events, pyId);
      const tsEvents = eventsOf(events, tsId);
      expect(pyEvents.map((e) => e.type)).toEqual(tsEvents.map((e) => e.type));
      expect(pyEvents.map(shapeOf)).toEqual(tsEvents.map(shapeOf));
    }
    expect(eventsOf(events, py.success).map((e) => e.type)).toEqual([
      'task-sent',
      'task-received',
      'task-started',
      'task-succeeded',
    ]);
    const pyEvent = (uuid: string, type: string) => eventsOf(events, uuid).find((e) => e.type === type);
    const tsEvent = (uuid: string, type: string) => eventsOf(events, uuid).find((e) => e.type === type);
    expect(pyEvent(py.success, 'task-succeeded')).toMatchObject({
      result: (tsEvent(tsSuccess.id, 'task-succeeded') as { result: string }).result,
      hostname: expect.stringMatching(/^interop-/),
    });
    expect(pyEvent(py.success, 'task-sent')).toMatchObject({
      name: 'tasks.add',
      args: (tsEvent(tsSuccess.id, 'task-sent') as { args: string }).args,
      kwargs: (tsEvent(tsSuccess.id, 'task-sent') as { kwargs: string }).kwargs,
      queue: 'celery',
      routing_key: 'celery',
      hostname: expect.stringMatching(/^gen\d+@/),
    });
    expect(pyEvent(py.expired, 'task-revoked')).toMatchObject({
      expired: true,
      terminated: false,
      signum: null,
    });
    expect(pyEvent(py.unknown, 'task-failed')).toMatchObject({
      exception: (tsEvent(tsUnknown.id, 'task-failed') as { exception: string }).exception,
    });
    expect(pyEvent(py.failure, 'task-failed')).toMatchObject({
      exception: "ValueError('boom', 42)",
      traceback: expect.stringContaining('ValueError'),
    });

    // Worker events: the same shape as celeriac's, told apart by sw_ident.
    const tsOnline = events.find((e) => e.type === 'worker-online' && e.hostname.startsWith('celeriac@'));
    const pyWorker = events.filter((e) => e.type.startsWith('worker-') && e.pid === worker.pid);
    expect(pyWorker.map((e) => e.type)).toEqual(['worker-online', 'worker-offline']);
    expect(tsOnline).toBeDefined();
    for (const event of pyWorker) {
      expect(shapeOf(event)).toEqual(shapeOf(tsOnline as AnyEvent));
      expect(event).toMatchObject({ sw_ident: 'py-celery', freq: 30 });
    }

    // The task index: Python's items carry celeriac's keys, and one query lists both sides.
    const item = async (taskId: string) =>
      (
        await ddb.send(
          new GetItemCommand({ TableName: resultTable, Key: { id: { S: celeryTaskKey(taskId) } } }),
        )
      ).Item ?? {};
    expect((await item(py.success)).idx_state?.S).toBe(indexKey('SUCCESS', py.success));
    expect((await item(py.success)).idx_name?.S).toBe(indexKey('tasks.add', py.success));
    const index = new DynamoDbTaskIndex(ddb, { tableName: resultTable });
    const adds = await index.query({ name: 'tasks.add' });
    expect(adds.map((entry) => entry.taskId).sort()).toEqual([py.success, tsSuccess.id].sort());
    expect(new Set(adds.map((entry) => entry.state))).toEqual(new Set(['SUCCESS']));
    const failures = await index.query({ state: 'FAILURE' });
    expect(failures.map((entry) => entry.taskId).sort()).toEqual(
      [py.failure, tsFailure.id, py.unknown, tsUnknown.id].sort(),
    );
    // As celeriac's, an unregistered task is in the state index only: no claim names it.
    const nameOf = new Map(failures.map((entry) => [entry.taskId, entry.name]));
    expect([py.failure, tsFailure.id, py.unknown, tsUnknown.id].map((id) => nameOf.get(id))).toEqual([
      'tasks.boom',
      'tasks.boom',
      undefined,
      undefined,
    ]);
    const revoked = await index.query({ state: 'REVOKED' });
    expect(revoked.map((entry) => entry.taskId).sort()).toEqual([py.expired, tsExpired.id].sort());
  });

  it('sends each event once from a prefork worker: received by the parent, run events by the child', async () => {
    const { busName, read } = await busToQueue();
    const env = {
      PYTHONPATH: [fixturesDir, hookDir].join(path.delimiter),
      CELERIAC_TEST_EVENTS: '1',
      CELERIAC_EVENTS: 'eventbridge',
      CELERIAC_EVENT_BUS: busName,
    };
    const prefix = `${uniqueName('pyhook-prefork')}-`;
    const worker = await startPythonWorker({
      queuePrefix: prefix,
      resultTable,
      env,
      pool: 'prefork',
      concurrency: 2,
    });
    let ids: string[];
    try {
      ({ ids } = await runPython<{ ids: string[] }>(
        [
          'import json',
          'from celeriac_fixtures import tasks',
          'rs = [tasks.add.delay(i, 1) for i in range(4)]',
          'assert [r.get(timeout=30) for r in rs] == [1, 2, 3, 4]',
          'print(json.dumps({"ids": [r.id for r in rs]}))',
        ].join('\n'),
        { queuePrefix: prefix, resultTable, timeoutMs: 60_000 },
      ));
      await until('the prefork children events', async () => {
        const events = await read();
        return ids.every((id) => eventsOf(events, id).some((e) => e.type === 'task-succeeded'))
          ? true
          : undefined;
      });
    } finally {
      await worker.stop();
    }
    const events = await read();
    for (const id of ids) {
      const own = eventsOf(events, id);
      expect(own.map((e) => e.type)).toEqual(['task-received', 'task-started', 'task-succeeded']);
      expect(own[0]?.pid).toBe(worker.pid);
      expect(own.slice(1).every((e) => e.pid !== worker.pid && e.pid === own[1]?.pid)).toBe(true);
    }
  });

  it('puts events on the bus in calls of at most 10 entries, every event delivered once, in order', async () => {
    const { busName, read } = await busToQueue();
    const count = 25;
    const sent = await runPython<{ calls: number; stats: Record<string, number> }>(
      [
        'import json, os',
        'from celeriac_events import EventBridgeSink, EventDispatcher',
        // A long interval: only a full batch of 10, or the flush, sends.
        'sink = EventBridgeSink(os.environ["BUS"], flush_interval=60)',
        'dispatcher = EventDispatcher([sink])',
        `for i in range(${count}): dispatcher.send("task-started", {"uuid": f"batch-{i}"}, "probe@host")`,
        'dispatcher.flush(10)',
        'print(json.dumps({"calls": sink.calls, "stats": sink.stats()}))',
      ].join('\n'),
      { env: { PYTHONPATH: hookDir, BUS: busName } },
    );
    expect(sent).toEqual({
      calls: Math.ceil(count / 10),
      stats: { accepted: count, delivered: count, dropped: 0 },
    });
    const events = await until('the batched events', async () => {
      const all = await read();
      return all.length >= count ? all : undefined;
    });
    const ordered = [...events].sort((a, b) => a.clock - b.clock);
    expect(ordered.map((e) => e.uuid)).toEqual(Array.from({ length: count }, (_, i) => `batch-${i}`));
    expect(ordered.map((e) => e.clock)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  });

  it('writes JSON lines on stdout, and a bus that refuses its events never fails a task', async () => {
    const missingBus = uniqueName('pyhook-missing-bus');
    const env = {
      PYTHONPATH: [fixturesDir, hookDir].join(path.delimiter),
      CELERIAC_TEST_EVENTS: '1',
      CELERIAC_EVENTS: 'stdout,eventbridge',
      CELERIAC_EVENT_BUS: missingBus,
    };
    const prefix = `${uniqueName('pyhook-stdout')}-`;
    const worker = await startPythonWorker({ queuePrefix: prefix, resultTable, env });
    let taskId: string;
    try {
      ({ taskId } = await runPython<{ taskId: string; result: number }>(
        [
          'import json',
          'from celeriac_fixtures import tasks',
          'r = tasks.add.delay(20, 22)',
          'print(json.dumps({"taskId": r.id, "result": r.get(timeout=30)}))',
        ].join('\n'),
        { queuePrefix: prefix, resultTable, timeoutMs: 60_000 },
      ));
      // The worker's sink tries the bus within a second; the task had its result long before.
      await until('the dropped-events warning', async () =>
        new RegExp(`dropped \\d+ event\\(s\\) for the bus ${missingBus} `).test(worker.logs())
          ? true
          : undefined,
      );
    } finally {
      await worker.stop();
    }
    const lines = worker
      .logs()
      .split('\n')
      .filter((line) => line.startsWith('{"hostname"'))
      .map((line) => JSON.parse(line) as AnyEvent);
    expect(
      lines.filter((event) => event.uuid === taskId).map((event) => [event.type, event.hostname]),
    ).toEqual([
      ['task-received', expect.stringMatching(/^interop-/)],
      ['task-started', expect.stringMatching(/^interop-/)],
      ['task-succeeded', expect.stringMatching(/^interop-/)],
    ]);
    expect(lines.find((event) => event.type === 'task-succeeded')).toMatchObject({ result: '42' });
    expect(lines.map((event) => event.type)).toContain('worker-offline');
  });
});
