/**
 * The task index on the emulator: workers with `taskIndex` on write the index keys on the result items they
 * write anyway (no extra request), and `DynamoDbTaskIndex` lists tasks by state, name and time from the sparse
 * indexes the ResultStore construct creates.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { celeryTaskKey } from '../../src/aws/celery-keys.js';
import { DynamoDbTaskIndex } from '../../src/aws/dynamodb-task-index.js';
import { createApp } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { uniqueName } from '../emulator/unique-name.js';
import { pollOnce } from '../helpers/event-source-mapping.js';
import { createIndexedResultTable } from '../helpers/indexed-result-table.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const ddb = new DynamoDBClient({ endpoint });
const table = uniqueName('indexed-results');
const quiet = () => undefined;

beforeAll(async () => {
  await createIndexedResultTable(ddb, table);
});

async function appWith(taskIndex: boolean) {
  const { queueUrl } = await createQueueWithDeadLetter(sqs, uniqueName('indexed'));
  const app = createApp({
    queueUrls: { celery: queueUrl },
    resultTable: table,
    env: { AWS_ENDPOINT_URL: endpoint },
    events: { taskIndex },
  });
  const prefix = uniqueName('t');
  const add = `${prefix}.add`;
  const boom = `${prefix}.boom`;
  app.task(add, (a: number, b: number) => a + b);
  app.task(boom, () => {
    throw new TypeError('boom');
  });
  const handler = createSqsHandler(app, { log: quiet });
  const drain = async () => {
    while ((await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 0 })).records.length > 0);
  };
  return { app, add, boom, drain };
}

const item = async (taskId: string) =>
  (await ddb.send(new GetItemCommand({ TableName: table, Key: { id: { S: celeryTaskKey(taskId) } } })))
    .Item ?? {};

describe('the task index on the emulator', () => {
  it('lists tasks by state, by name, by both, newest first, within a time window', async () => {
    const { app, add, boom, drain } = await appWith(true);
    const index = new DynamoDbTaskIndex(ddb, { tableName: table });
    const startedAt = Date.now();
    const adds = await app.sendTasks(Array.from({ length: 12 }, (_, i) => ({ name: add, args: [i, 1] })));
    const booms = await app.sendTasks([{ name: boom }, { name: boom }]);
    await drain();

    const byName = await index.query({ name: add });
    expect(byName.map((entry) => entry.taskId).sort()).toEqual(adds.map((r) => r.id).sort());
    expect(new Set(byName.map((entry) => entry.state))).toEqual(new Set(['SUCCESS']));
    expect(byName.every((entry) => entry.name === add && entry.updatedAtMs >= startedAt - 1000)).toBe(true);
    const times = byName.map((entry) => entry.updatedAtMs);
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const failures = (await index.query({ state: 'FAILURE' })).filter((entry) => entry.name === boom);
    expect(failures.map((entry) => entry.taskId).sort()).toEqual(booms.map((r) => r.id).sort());

    expect(await index.query({ name: boom, state: 'SUCCESS' })).toEqual([]);
    expect((await index.query({ name: boom, state: 'FAILURE' })).map((entry) => entry.taskId).sort()).toEqual(
      booms.map((r) => r.id).sort(),
    );
    expect(await index.query({ name: add, limit: 5 })).toHaveLength(5);
    expect(
      await index.query({ name: add, untilMs: startedAt - 60_000, sinceMs: startedAt - 120_000 }),
    ).toEqual([]);
  });

  it('writes the index keys beside Celery’s attributes only when indexing is on', async () => {
    const on = await appWith(true);
    const indexed = await on.app.sendTask(on.add, [1, 2]);
    await on.drain();
    const withKeys = await item(indexed.id);
    expect(withKeys.idx_state?.S).toMatch(/^SUCCESS#[0-7]$/);
    expect(withKeys.idx_name?.S).toMatch(new RegExp(`^${on.add.replace(/\./g, '\\.')}#[0-7]$`));
    expect(withKeys.result?.B).toBeDefined();

    const off = await appWith(false);
    const plain = await off.app.sendTask(off.add, [1, 2]);
    await off.drain();
    const withoutKeys = await item(plain.id);
    expect(Object.keys(withoutKeys).filter((name) => name.startsWith('idx_'))).toEqual([]);
    expect(await plain.get({ timeoutMs: 2000 })).toBe(3);
  });

  it('refuses a query with neither a state nor a name', async () => {
    const index = new DynamoDbTaskIndex(ddb, { tableName: table });
    await expect(index.query({})).rejects.toThrow(/Expected `query` to be a `state`, a `name`, or both/);
  });
});
