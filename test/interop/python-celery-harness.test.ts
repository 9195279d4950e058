/**
 * Proves the Python Celery harness on the real emulator and pins the item format Celery's DynamoDB backend
 * writes, read back raw with the AWS SDK: a Python producer sends, a Python worker runs, the test reads.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../emulator/unique-name.js';
import { type PythonWorker, runPython, startPythonWorker } from './helpers/python-celery.js';

const queuePrefix = `${uniqueName('interop-harness')}-`;
const resultTable = uniqueName('interop-harness-results');
const dynamodb = new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL });

interface SentTask {
  readonly taskId: string;
  readonly status: string;
  readonly sentAt: number;
  readonly doneAt: number;
}

/** Sends `call` (a Python expression on `tasks` taking `task_id=`) and waits for its result in Python. */
async function sendAndWait(call: string): Promise<SentTask> {
  const taskId = randomUUID();
  return await runPython<SentTask>(
    [
      'import json, time',
      'from celeriac_fixtures import tasks',
      'sent_at = time.time()',
      `r = ${call.replace('TASK_ID', JSON.stringify(taskId))}`,
      'r.get(timeout=20, propagate=False)',
      'print(json.dumps({"taskId": r.id, "status": r.status, "sentAt": sent_at, "doneAt": time.time()}))',
    ].join('\n'),
    { queuePrefix, resultTable },
  );
}

/** Reads the raw result item Celery stored for `taskId`. */
async function rawResultItem(taskId: string) {
  const { Item } = await dynamodb.send(
    new GetItemCommand({
      TableName: resultTable,
      Key: { id: { S: `b'celery-task-meta-${taskId}'` } },
      ConsistentRead: true,
    }),
  );
  if (!Item) throw new Error(`no result item for task ${taskId} in ${resultTable}`);
  return Item;
}

function decodeResult(binary: Uint8Array | undefined): Record<string, unknown> {
  if (!binary) throw new Error('result item has no binary `result` attribute');
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(binary)) as Record<string, unknown>;
}

describe('Python Celery harness on the emulator', () => {
  let worker: PythonWorker | undefined;

  beforeAll(async () => {
    worker = await startPythonWorker({ queuePrefix, resultTable });
  });

  afterAll(async () => {
    await worker?.stop();
  });

  it("stores SUCCESS in Celery's DynamoDB item format when a Python worker runs tasks.add(2, 3)", async () => {
    const sent = await sendAndWait('tasks.add.apply_async((2, 3), task_id=TASK_ID)');
    expect(sent.status).toBe('SUCCESS');

    const item = await rawResultItem(sent.taskId);
    expect(Object.keys(item).sort()).toEqual(['id', 'result', 'timestamp']);
    expect(item.id?.S).toBe(`b'celery-task-meta-${sent.taskId}'`);

    const meta = decodeResult(item.result?.B);
    expect(meta).toMatchObject({
      status: 'SUCCESS',
      result: 5,
      traceback: null,
      children: [],
      task_id: sent.taskId,
    });
    expect(Object.keys(meta)).toEqual(['status', 'result', 'traceback', 'children', 'date_done', 'task_id']);
    expect(meta.date_done).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);

    const timestamp = Number(item.timestamp?.N);
    expect(Number.isFinite(timestamp)).toBe(true);
    expect(timestamp).toBeGreaterThanOrEqual(sent.sentAt);
    expect(timestamp).toBeLessThanOrEqual(sent.doneAt);
  });

  it('stores FAILURE with the exception as {exc_type, exc_message, exc_module} when the task raises', async () => {
    const sent = await sendAndWait('tasks.boom.apply_async(task_id=TASK_ID)');
    expect(sent.status).toBe('FAILURE');

    const item = await rawResultItem(sent.taskId);
    expect(item.id?.S).toBe(`b'celery-task-meta-${sent.taskId}'`);
    expect(Number.isFinite(Number(item.timestamp?.N))).toBe(true);

    const meta = decodeResult(item.result?.B);
    expect(meta.status).toBe('FAILURE');
    expect(meta.result).toEqual({
      exc_type: 'ValueError',
      exc_message: ['boom', 42],
      exc_module: 'builtins',
    });
    expect(meta.traceback).toEqual(expect.stringContaining("ValueError: ('boom', 42)"));
    expect(meta.task_id).toBe(sent.taskId);
  });

  it('throws with the Python traceback when a snippet exits non-zero', async () => {
    await expect(runPython('import sys\nraise SystemExit("no such task: tasks.nope")')).rejects.toThrow(
      /exited with code 1[\s\S]*no such task: tasks\.nope/,
    );
  });

  it('throws with the worker log when the Python worker cannot start', async () => {
    await expect(
      startPythonWorker({
        queuePrefix,
        resultTable,
        env: { CELERIAC_TEST_TASK_PROTOCOL: 'not-a-number' },
      }),
    ).rejects.toThrow(/before it was ready[\s\S]*not-a-number/);
  });
});
