/**
 * Workflows sent by Python Celery and run by a celeriac worker: a chain (steps forwarded by the worker), link
 * callbacks, and a chord whose header and counter live in Celery's DynamoDB records. Python reads the final
 * results with its own AsyncResult.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { type RunningWorker, runWorker } from '../../src/worker/run-worker.js';
import { uniqueName } from '../emulator/unique-name.js';
import { runPython } from './helpers/python-celery.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const queuePrefix = `${uniqueName('wf')}-`;
const resultTable = uniqueName('wf-results');
let worker: RunningWorker | undefined;

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), resultTable);
  await new SQSClient({ endpoint, useQueueUrlAsEndpoint: false }).send(
    new CreateQueueCommand({ QueueName: `${queuePrefix}celery`, Attributes: { VisibilityTimeout: '60' } }),
  );
  const app = createApp({ queueNamePrefix: queuePrefix, resultTable, env: { AWS_ENDPOINT_URL: endpoint } });
  app.task('tasks.add', (a: number, b: number) => a + b);
  app.task('tasks.tsum', (numbers: number[]) => numbers.reduce((x, y) => x + y, 0));
  app.task('tasks.boom', () => {
    throw new RangeError('boom');
  });
  worker = runWorker(app, { concurrency: 4, waitTimeSeconds: 1, log: () => undefined });
});

afterAll(async () => {
  await worker?.stop();
});

const python = <T>(code: string) => runPython<T>(code, { queuePrefix, resultTable, timeoutMs: 60_000 });

describe('Python workflows on a celeriac worker', () => {
  it('runs a chain: each step gets the previous result, Python reads the last', async () => {
    const out = await python<{ value: number; parent: number }>(
      [
        'import json',
        'from celery import chain',
        'from celeriac_fixtures import tasks',
        'r = chain(tasks.add.s(1, 2), tasks.add.s(3), tasks.add.s(4)).apply_async()',
        'print(json.dumps({"value": r.get(timeout=30), "parent": r.parent.get(timeout=5)}))',
      ].join('\n'),
    );
    expect(out).toEqual({ value: 10, parent: 6 });
  });

  it('runs a chord: the body gets the header results in order once every header task is done', async () => {
    const out = await python<{ value: number }>(
      [
        'import json',
        'from celery import chord',
        'from celeriac_fixtures import tasks',
        'r = chord([tasks.add.s(i, i) for i in range(5)], tasks.tsum.s()).apply_async()',
        'print(json.dumps({"value": r.get(timeout=30)}))',
      ].join('\n'),
    );
    expect(out.value).toBe(20);
  });

  it('runs a chord given as a link callback: the worker reads the header Celery sends as a list of signatures', async () => {
    const out = await python<{ value: number; chord: number }>(
      [
        'import json, uuid',
        'from celery import chord',
        'from celery.result import AsyncResult',
        'from celeriac_fixtures import tasks',
        'body = tasks.tsum.s().set(task_id="body-" + uuid.uuid4().hex)',
        'r = tasks.add.apply_async((1, 1), link=chord([tasks.add.s(10), tasks.add.s(20)], body))',
        'print(json.dumps({"value": r.get(timeout=30), "chord": AsyncResult(body.id).get(timeout=30)}))',
      ].join('\n'),
    );
    // The callback gets the task's 2, which goes to each header task: 12 + 22.
    expect(out).toEqual({ value: 2, chord: 34 });
  });

  it('fails a chord body with ChordError when a header task fails, which Python sees', async () => {
    const out = await python<{ state: string; type: string; message: string }>(
      [
        'import json',
        'from celery import chord',
        'from celeriac_fixtures import tasks',
        'r = chord([tasks.add.s(1, 1), tasks.boom.s()], tasks.tsum.s()).apply_async()',
        'r.get(timeout=30, propagate=False)',
        'print(json.dumps({"state": r.state, "type": type(r.result).__name__, "message": str(r.result)}))',
      ].join('\n'),
    );
    expect(out).toMatchObject({ state: 'FAILURE', type: 'ChordError' });
    expect(out.message).toMatch(/raised RangeError/);
  });

  it('calls link callbacks with the result', async () => {
    const out = await python<{ value: number; callback: number }>(
      [
        'import json',
        'from celery.result import AsyncResult',
        'from celeriac_fixtures import tasks',
        'cb = tasks.add.s(100).set(task_id="cb-" + __import__("uuid").uuid4().hex)',
        'r = tasks.add.apply_async((1, 2), link=cb)',
        'value = r.get(timeout=30)',
        'print(json.dumps({"value": value, "callback": AsyncResult(cb.id).get(timeout=30)}))',
      ].join('\n'),
    );
    expect(out).toEqual({ value: 3, callback: 103 });
  });
});
