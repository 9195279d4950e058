/**
 * The Lambda handler on the real emulator, fed by a driver that behaves like the SQS event source mapping.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp, TaskError } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { base64Encode } from '../../src/protocol/envelope.js';
import { uniqueName } from '../emulator/unique-name.js';
import { pollOnce } from '../helpers/event-source-mapping.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const table = uniqueName('lambda-results');
const quiet = () => undefined;

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), table);
});

async function appOnNewQueue(maxReceiveCount = 3) {
  const name = uniqueName('lambda');
  const { queueUrl, deadLetterUrl } = await createQueueWithDeadLetter(sqs, name, { maxReceiveCount });
  const app = createApp({
    queueUrls: { celery: queueUrl },
    resultTable: table,
    env: { AWS_ENDPOINT_URL: endpoint },
  });
  const runs = new Map<string, number>();
  app.task('tasks.add', function (this, a: number, b: number) {
    runs.set(this.taskId, (runs.get(this.taskId) ?? 0) + 1);
    return a + b;
  });
  app.task('tasks.boom', () => {
    throw new TypeError('boom');
  });
  app.task('tasks.slow', async function (this, ms: number) {
    runs.set(this.taskId, (runs.get(this.taskId) ?? 0) + 1);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  });
  return { app, queueUrl, deadLetterUrl, runs, handler: createSqsHandler(app, { log: quiet }) };
}

const PICKLED = base64Encode(
  JSON.stringify({
    body: 'gASVAAAAAAAAAAA=',
    'content-encoding': 'binary',
    'content-type': 'application/x-python-serialize',
    headers: { task: 'tasks.add', id: 'pickled-task' },
    properties: { body_encoding: 'base64' },
  }),
);

describe('createSqsHandler on the emulator', () => {
  it('still works under a short function timeout: the default reserve is a fifth of the invocation', async () => {
    const { app, queueUrl, handler } = await appOnNewQueue();
    const result = await app.sendTask('tasks.add', [5, 5]);
    const poll = await pollOnce(sqs, queueUrl, handler, { remainingMs: 3000 });
    expect(poll.response?.batchItemFailures).toEqual([]);
    expect(await result.get({ timeoutMs: 2000 })).toBe(10);
  });

  it('fails exactly the 3 undecodable records of a batch of 10 and stores the right results', async () => {
    const { app, queueUrl, handler } = await appOnNewQueue();
    const adds = await app.sendTasks<number>(
      [1, 2, 3, 4, 5].map((n) => ({ name: 'tasks.add', args: [n, n] })),
    );
    const booms = await app.sendTasks([{ name: 'tasks.boom' }, { name: 'tasks.boom' }]);
    const garbage = ['not base64, not JSON', base64Encode('{"truncated": '), PICKLED];
    const { Successful = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: garbage.map((body, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
    const badIds = Successful.map((s) => s.MessageId).sort();

    const poll = await pollOnce(sqs, queueUrl, handler, { batchSize: 10 });
    expect(poll.records).toHaveLength(10);
    expect(poll.response?.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(badIds);

    expect(await Promise.all(adds.map((r) => r.get({ timeoutMs: 5000 })))).toEqual([2, 4, 6, 8, 10]);
    for (const result of booms) {
      const error = await result.get({ timeoutMs: 5000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskError);
      expect(error).toMatchObject({ excType: 'TypeError', excArgs: ['boom'], excModule: 'builtins' });
    }
    expect(await app.asyncResult('pickled-task').info()).toMatchObject({
      exc_type: 'ContentDisallowed',
      exc_module: 'kombu.exceptions',
    });
  });

  it('lets a poison message reach the dead-letter queue after maxReceiveCount, leaving the rest alone', async () => {
    const { app, queueUrl, deadLetterUrl, handler } = await appOnNewQueue(2);
    await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: 'p', MessageBody: 'poison' }] }),
    );
    const good = await app.sendTask('tasks.add', [20, 22]);
    for (let i = 0; i < 4; i++)
      await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 0, visibilityTimeoutSeconds: 0 });
    expect(await good.get({ timeoutMs: 5000 })).toBe(42);
    const dead = await sqs.send(
      new (await import('@aws-sdk/client-sqs')).ReceiveMessageCommand({
        QueueUrl: deadLetterUrl,
        WaitTimeSeconds: 1,
      }),
    );
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['poison']);
  });

  it('runs a message delivered twice only once', async () => {
    const { app, queueUrl, handler, runs } = await appOnNewQueue();
    const result = await app.sendTask('tasks.add', [1, 1]);
    const first = await pollOnce(sqs, queueUrl, handler);
    expect(first.response?.batchItemFailures).toEqual([]);
    // SQS delivers the same message again (at-least-once): the copy must not run the finished task.
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [{ Id: 'dup', MessageBody: first.records[0]?.body ?? '' }],
      }),
    );
    const second = await pollOnce(sqs, queueUrl, handler);
    expect(second.records).toHaveLength(1);
    expect(second.response?.batchItemFailures).toEqual([]);
    expect(runs.get(result.id)).toBe(1);
    expect(await result.get({ timeoutMs: 1000 })).toBe(2);
  });

  it('holds back a copy that arrives while the first delivery runs, until the lease ends', async () => {
    const { app, queueUrl, handler, runs } = await appOnNewQueue();
    const result = await app.sendTask('tasks.slow', [1500]);
    const { ReceiveMessageCommand, ChangeMessageVisibilityCommand } = await import('@aws-sdk/client-sqs');
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }),
    );
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: Messages[0]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [{ Id: 'dup', MessageBody: Messages[0]?.Body ?? '' }],
      }),
    );
    const poll = await pollOnce(sqs, queueUrl, handler, { batchSize: 10 });
    expect(poll.records).toHaveLength(2);
    expect(poll.response?.batchItemFailures).toHaveLength(1);
    expect(runs.get(result.id)).toBe(1);
    // The held-back copy is invisible for the rest of the lease, not redelivered at once.
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));
    expect(again.Messages ?? []).toEqual([]);
  });

  it('starts no record when the invocation is about to time out, and reports them all', async () => {
    const { app, queueUrl, runs } = await appOnNewQueue();
    const handler = createSqsHandler(app, { log: quiet, reserveMs: 10_000 });
    await app.sendTasks([
      { name: 'tasks.add', args: [1, 2] },
      { name: 'tasks.add', args: [3, 4] },
    ]);
    const poll = await pollOnce(sqs, queueUrl, handler, { remainingMs: 3000 });
    expect(poll.response?.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      poll.records.map((r) => r.messageId).sort(),
    );
    expect(runs.size).toBe(0);
  });
});
