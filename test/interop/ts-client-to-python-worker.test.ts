/**
 * celeriac's client against a real Python Celery worker (the venv's Celery 5.6 + kombu 5.6) on the emulator:
 * the client sends with the AWS transport, the Python worker consumes from the same SQS queues and writes its
 * results into the same DynamoDB table in Celery's item format, and the client reads them back.
 *
 * The results table is created here with `ensureResultTable` before the worker starts (Celery's backend only
 * creates a table it cannot find, so it then uses this one, and the client never races the worker for it).
 * The queues are created here too, under the names kombu gives them (`queue_name_prefix` + canonical name)
 * and with the attributes kombu would create them with, so the client can send before or after the worker
 * declares them; kombu lists them at start-up and does not create them again.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { celeryTaskKey, ensureResultTable } from '../../src/aws/index.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import {
  type App,
  CalendarDate,
  createApp,
  createAwsTransport,
  Decimal,
  TaskError,
  TaskRevokedError,
  TimeOfDay,
  Uuid,
} from '../../src/index.js';
import { canonicalQueueName } from '../../src/protocol/queue-name.js';
import { signatureDict } from '../../src/protocol/signature.js';
import { uniqueName } from '../emulator/unique-name.js';
import { type PythonWorker, startPythonWorker } from './helpers/python-celery.js';

const queuePrefix = `${uniqueName('ts2py')}-`;
const resultTable = uniqueName('ts2py-results');
const FIFO_QUEUE = 'jobs.fifo';
/** The fixture app's `visibility_timeout` transport option: what kombu would create the queues with. */
const KOMBU_VISIBILITY_TIMEOUT = '60';
const GET = { timeoutMs: 30_000, intervalMs: 50, maxIntervalMs: 250 } as const;

const dynamodb = new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL });
const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL });

/** SQS commands the client sent, with their input (recorded by a middleware on the client's SQS client). */
const sqsCommands: { name: string; input: Record<string, unknown> }[] = [];

function clientApp(): App {
  const options = { queueNamePrefix: queuePrefix, resultTable };
  const config = resolveConfig(options);
  const clients = createAwsClients(config);
  clients.sqs.middlewareStack.add(
    (next, context) => async (args) => {
      sqsCommands.push({ name: context.commandName ?? '?', input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return createApp({ ...options, transport: createAwsTransport(config, clients) });
}

async function rawItem(taskId: string) {
  const { Item } = await dynamodb.send(
    new GetItemCommand({
      TableName: resultTable,
      Key: { id: { S: celeryTaskKey(taskId) } },
      ConsistentRead: true,
    }),
  );
  return Item;
}

/** Epoch seconds of a Python ISO time (`2026-01-02T03:04:05.123456+00:00`). */
function epochSeconds(iso: string): number {
  const match = /\.(\d{6})\+00:00$/.exec(iso);
  const micros = match ? Number(match[1]) : 0;
  return Math.floor(Date.parse(iso.replace(/\.\d{6}\+00:00$/, '+00:00')) / 1000) + micros / 1e6;
}

class PaymentDeclined extends Error {
  override readonly name = 'PaymentDeclined';
  constructor(
    readonly reason: string,
    readonly code: number,
  ) {
    super(`${reason} (${code})`);
  }
}

describe('celeriac client → Python Celery worker', () => {
  let worker: PythonWorker;
  let app: App;

  beforeAll(async () => {
    await ensureResultTable(dynamodb, resultTable);
    for (const queue of ['celery', FIFO_QUEUE]) {
      const name = canonicalQueueName(queue, queuePrefix);
      await sqs.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            VisibilityTimeout: KOMBU_VISIBILITY_TIMEOUT,
            ...(name.endsWith('.fifo') ? { FifoQueue: 'true' } : {}),
          },
        }),
      );
    }
    worker = await startPythonWorker({ queuePrefix, resultTable, queues: ['celery', FIFO_QUEUE] });
    app = clientApp();
    app.registerError('PaymentDeclined', (args) => new PaymentDeclined(String(args[0]), Number(args[1])));
  });

  afterAll(async () => {
    await worker?.stop();
  });

  it("runs app.sendTask('tasks.add', [2, 3]) in Python and get() returns 5", async () => {
    const result = await app.sendTask<number>('tasks.add', [2, 3]);
    expect(await result.get(GET)).toBe(5);
    expect(await result.state()).toBe('SUCCESS');
    expect(await result.ready()).toBe(true);
    expect(await result.successful()).toBe(true);
    expect(await result.failed()).toBe(false);
    expect(await result.traceback()).toBeNull();
    const item = await rawItem(result.id);
    expect(Object.keys(item ?? {}).sort()).toEqual(['id', 'result', 'timestamp']);
  });

  it('brings every value type back unchanged through Python (tasks.echo)', async () => {
    const args = [
      new Date('2024-01-02T03:04:05.123Z'),
      new CalendarDate('2024-02-29'),
      new TimeOfDay('01:02:03.456789'),
      new TimeOfDay('23:00:00+01:00'),
      new Decimal('1.10'),
      new Decimal('-123456789012345678901234567890.000001'),
      new Uuid('12345678-1234-5678-1234-567812345678'),
      new Uint8Array(Buffer.from('héllo', 'utf-8')),
      new Uint8Array([0xff, 0x00, 0x80]),
      { nested: [1, 2.5, { deeper: ['ü', null, true] }], empty: {} },
      'café 中 🎉 "quoted" \\ \n',
      -7,
      0.1,
      null,
    ];
    const kwargs = {
      when: new Date('1999-12-31T23:59:59.999Z'),
      naïve: 'ü',
      '🎉': [new Decimal('0.5'), new CalendarDate('2020-01-01')],
      blob: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
    };
    const result = await app.sendTask('tasks.echo', args, kwargs);
    expect(await result.get(GET)).toStrictEqual([args, kwargs]);
  });

  it('rejects get() with a TaskError carrying ValueError, its args, its module and the traceback', async () => {
    const result = await app.sendTask('tasks.boom');
    const error = await result.get(GET).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskError);
    expect(error).toMatchObject({
      taskId: result.id,
      excType: 'ValueError',
      excArgs: ['boom', 42],
      excModule: 'builtins',
    });
    const traceback = (error as TaskError).remoteTraceback;
    expect(traceback).toMatch(/^Traceback \(most recent call last\):/);
    expect(traceback).toContain("ValueError: ('boom', 42)");
    expect(await result.state()).toBe('FAILURE');
    expect(await result.failed()).toBe(true);
    expect(await result.successful()).toBe(false);
    expect(await result.traceback()).toBe(traceback);
  });

  it('rebuilds a custom Python exception into the class registered with app.registerError', async () => {
    const result = await app.sendTask('tasks.decline');
    const error = await result.get(GET).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentDeclined);
    expect(error).toMatchObject({ reason: 'card 4242 declined', code: 402 });
  });

  it('does not run a countdown task before its ETA', async () => {
    const sentAt = Date.now() / 1000;
    const result = await app.sendTask<number>('tasks.add', [1, 1], {}, { countdown: 2 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await result.state()).toBe('PENDING');
    expect(await result.get(GET)).toBe(2);
    const { date_done } = await result.meta();
    expect(epochSeconds(date_done as string) - sentAt).toBeGreaterThanOrEqual(2);
  });

  it('has Python store REVOKED for an expires in the past, and get() reject with TaskRevokedError', async () => {
    const result = await app.sendTask('tasks.add', [2, 2], {}, { expires: new Date(Date.now() - 60_000) });
    const error = await result.get(GET).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskRevokedError);
    expect(error).toMatchObject({ taskId: result.id, reason: 'expired' });
    expect(await result.state()).toBe('REVOKED');
    expect(await result.ready()).toBe(true);
    expect(await result.successful()).toBe(false);
  });

  it('stores nothing for ignoreResult: the task runs (its link fires) and the state stays PENDING', async () => {
    // Celery sends link callbacks whether or not the result is stored, so the callback's result (under an id
    // chosen here) shows that Python ran the ignored task, with its return value.
    const callbackId = randomUUID();
    const result = await app.sendTask(
      'tasks.add',
      [20, 21],
      {},
      {
        ignoreResult: true,
        link: signatureDict('tasks.add', [1], {}, { task_id: callbackId }),
      },
    );
    expect(await app.asyncResult<number>(callbackId).get(GET)).toBe(42);
    expect(await rawItem(result.id)).toBeUndefined();
    expect(await result.state()).toBe('PENDING');
    expect(await result.ready()).toBe(false);
  });

  it('forget() deletes the item Python wrote, after which the task reads as PENDING', async () => {
    const result = await app.sendTask<number>('tasks.add', [4, 4]);
    expect(await result.get(GET)).toBe(8);
    expect(await rawItem(result.id)).toBeDefined();
    await result.forget();
    expect(await rawItem(result.id)).toBeUndefined();
    expect(await result.state()).toBe('PENDING');
    expect(await app.asyncResult(result.id).ready()).toBe(false);
  });

  it('sends 25 tasks in SendMessageBatch requests of up to 10, and every result comes back', async () => {
    sqsCommands.length = 0;
    const results = await app.sendTasks<number>(
      Array.from({ length: 25 }, (_, i) => ({ name: 'tasks.add', args: [i, 1000] })),
    );
    const batches = sqsCommands.filter((c) => c.name === 'SendMessageBatchCommand');
    expect(batches.map((c) => (c.input.Entries as unknown[]).length)).toEqual([10, 10, 5]);
    expect(sqsCommands.map((c) => c.name)).not.toContain('SendMessageCommand');
    const values = await Promise.all(results.map((r) => r.get(GET)));
    expect(values).toEqual(Array.from({ length: 25 }, (_, i) => i + 1000));
  });

  it('sends to a FIFO queue that the Python worker consumes', async () => {
    sqsCommands.length = 0;
    const result = await app.sendTask<number>(
      'tasks.add',
      [20, 22],
      {},
      {
        queue: FIFO_QUEUE,
        messageGroupId: 'interop',
      },
    );
    const [send] = sqsCommands.filter((c) => c.name === 'SendMessageCommand');
    expect(String(send?.input.QueueUrl).endsWith(`/${canonicalQueueName(FIFO_QUEUE, queuePrefix)}`)).toBe(
      true,
    );
    expect(send?.input).toMatchObject({
      MessageGroupId: 'interop',
      MessageDeduplicationId: expect.any(String),
    });
    expect(await result.get(GET)).toBe(42);
  });
});
