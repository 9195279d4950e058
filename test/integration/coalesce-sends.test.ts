/**
 * `coalesceSendsMs`: concurrent `delay()` calls to a standard queue leave as SendMessageBatch requests of up to
 * 10, counted at the SDK, on the emulator; each caller still gets its own task, and every task is on the queue.
 */
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { App, createAwsTransport } from '../../src/index.js';
import { decodeTaskMessage } from '../../src/protocol/task-message.js';
import { uniqueName } from '../emulator/unique-name.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });

async function countingApp(coalesceSendsMs: number, queueName: string) {
  const { queueUrl } = await createQueueWithDeadLetter(sqs, uniqueName(queueName));
  const counts: Record<string, number> = {};
  const settings = resolveConfig({
    queueUrls: { celery: queueUrl },
    env: { AWS_ENDPOINT_URL: endpoint },
    coalesceSendsMs,
  });
  const clients = createAwsClients({ endpoint });
  clients.sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize' },
  );
  const app = new App(settings, createAwsTransport(settings, clients));
  const add = app.task('tasks.add', (a: number, b: number) => a + b);
  return { app, add, counts, queueUrl };
}

async function drainTaskIds(queueUrl: string, expected: number): Promise<string[]> {
  const ids: string[] = [];
  for (let attempt = 0; ids.length < expected && attempt < 20; attempt++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const m of Messages) ids.push(decodeTaskMessage(m.Body ?? '').headers.id);
  }
  return ids;
}

describe('coalesceSendsMs', () => {
  it('sends 25 concurrent delay() calls in 3 SendMessageBatch requests, each caller with its own task', async () => {
    const { add, counts, queueUrl } = await countingApp(20, 'coalesce');
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => add.delay(i, 1)));
    expect(counts).toEqual({ SendMessageBatchCommand: 3 });
    const sent = results.map((r) => r.id);
    expect(new Set(sent).size).toBe(25);
    expect((await drainTaskIds(queueUrl, 25)).sort()).toEqual([...sent].sort());
  });

  it('sends one SendMessage per delay() when off (the default)', async () => {
    const { add, counts } = await countingApp(0, 'no-coalesce');
    await Promise.all(Array.from({ length: 5 }, (_, i) => add.delay(i, 1)));
    expect(counts).toEqual({ SendMessageCommand: 5 });
  });

  it('sends a lone delay() after the window as a plain SendMessage', async () => {
    const { add, counts, queueUrl } = await countingApp(5, 'coalesce-lone');
    const result = await add.delay(2, 3);
    expect(counts).toEqual({ SendMessageCommand: 1 });
    expect(await drainTaskIds(queueUrl, 1)).toEqual([result.id]);
  });
});
