/**
 * Workflows built with celeriac's canvas, in both directions across languages, on the emulator:
 * - run by a real Python Celery worker (Celery 5.6 from the venv), with TypeScript reading the results back;
 * - run by a celeriac worker (`runWorker`) and by the Lambda handler (`createSqsHandler`, driven as the SQS event
 *   source mapping drives it), with Python reading the results back through `AsyncResult`,
 *   `GroupResult.restore` and the chord's result;
 * - chunks and a map sent by Python, run by a celeriac worker's `celery.starmap`/`celery.map`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { chain, chord, chunks, group, registerMapTasks, xmap, xstarmap } from '../../src/canvas/index.js';
import type { GroupResult } from '../../src/group-result.js';
import { type App, createApp } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { type RunningWorker, runWorker } from '../../src/worker/run-worker.js';
import { uniqueName } from '../emulator/unique-name.js';
import { pollOnce } from '../helpers/event-source-mapping.js';
import { type PythonWorker, runPython, startPythonWorker } from './helpers/python-celery.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const GET = { timeoutMs: 30_000, intervalMs: 50, maxIntervalMs: 250 } as const;

async function setUpQueues(queuePrefix: string, resultTable: string): Promise<void> {
  await ensureResultTable(new DynamoDBClient({ endpoint }), resultTable);
  await new SQSClient({ endpoint, useQueueUrlAsEndpoint: false }).send(
    new CreateQueueCommand({ QueueName: `${queuePrefix}celery`, Attributes: { VisibilityTimeout: '60' } }),
  );
}

function tasksOf(app: App) {
  const add = app.task('tasks.add', (a: number, b: number) => a + b);
  const tsum = app.task('tasks.tsum', (numbers: number[]) => numbers.reduce((x, y) => x + y, 0));
  const boom = app.task('tasks.boom', () => {
    throw new RangeError('boom');
  });
  return { add, tsum, boom };
}

describe('celeriac canvas → Python Celery worker', () => {
  const queuePrefix = `${uniqueName('cv2py')}-`;
  const resultTable = uniqueName('cv2py-results');
  let worker: PythonWorker;
  let app: App;
  let t: ReturnType<typeof tasksOf>;

  beforeAll(async () => {
    await setUpQueues(queuePrefix, resultTable);
    // The solo pool: in Celery's threads pool, two chords joining at once race on `allow_join_result`, whose flag
    // is one global, and one of them fails with "Never call result.get() within a task!".
    worker = await startPythonWorker({ queuePrefix, resultTable, concurrency: 1 });
    app = createApp({ queueNamePrefix: queuePrefix, resultTable, env: { AWS_ENDPOINT_URL: endpoint } });
    t = tasksOf(app);
  });

  afterAll(async () => {
    await worker?.stop();
  });

  it('runs a chain; .parent walks back', async () => {
    const result = await chain(t.add.s(1, 2), t.add.s(3), t.add.s(4)).applyAsync();
    expect(await result.get(GET)).toBe(10);
    expect(await result.parent?.get(GET)).toBe(6);
  });

  it('runs a group and a chord', async () => {
    const g = await group(t.add.s(1, 1), t.add.s(2, 2), t.add.s(3, 3)).applyAsync();
    expect(await g.get(GET)).toEqual([2, 4, 6]);
    const c = await chord([t.add.s(1, 1), t.add.s(2, 2)], t.tsum.s()).applyAsync();
    expect(await c.get(GET)).toBe(6);
  });

  it('runs the nestings: group→chord upgrade in a chain, chord with a chain body, chord in a chain, group of chains', async () => {
    const upgraded = await chain(t.add.s(1, 2), group(t.add.s(1), t.add.s(2)), t.tsum.s()).applyAsync();
    const chainBody = await chord(
      [t.add.s(1, 1), t.add.s(2, 2)],
      chain(t.tsum.s(), t.add.s(10)),
    ).applyAsync();
    const chordInChain = await chain(
      t.add.s(1, 1),
      chord([t.add.s(10), t.add.s(20)], t.tsum.s()),
    ).applyAsync();
    const groupOfChains = await group(
      chain(t.add.s(1, 1), t.add.s(10)),
      chain(t.add.s(2, 2), t.add.s(20)),
    ).applyAsync();
    expect(await upgraded.get(GET)).toBe(9);
    expect(await chainBody.get(GET)).toBe(16);
    expect(await chordInChain.get(GET)).toBe(34);
    expect(await groupOfChains.get(GET)).toEqual([12, 24]);
  });

  it('a failing chain step stops the chain and calls its linkError', async () => {
    const errbackId = `eb-${globalThis.crypto.randomUUID()}`;
    const flow = chain(t.add.s(1, 2), t.boom.si(), t.add.si(1, 1));
    const result = await flow.applyAsync([], {}, { linkError: t.tsum.si([7]).set({ taskId: errbackId }) });
    await expect(result.get(GET)).rejects.toThrow();
    expect(await app.asyncResult<number>(errbackId).get(GET)).toBe(7);
  });

  it('a failing chord member fails the body with ChordError, and the errbacks run', async () => {
    const errbackId = `eb-${globalThis.crypto.randomUUID()}`;
    const flow = chord([t.add.s(1, 1), t.boom.si()], t.tsum.s());
    flow.linkError(t.tsum.si([5]).set({ taskId: errbackId }));
    const result = await flow.applyAsync();
    await expect(result.get(GET)).rejects.toThrow();
    const info = (await result.info()) as { exc_type: string; exc_message: unknown[] };
    expect(info.exc_type).toBe('ChordError');
    // Celery 5.6 stores the failed member's exception as the ChordError's message (a celeriac worker names the
    // member: `Dependency <id> raised ...`).
    expect(String(info.exc_message[0])).toContain('boom');
    expect(await (result.parent as GroupResult).results[1]?.state()).toBe('FAILURE');
    expect(await app.asyncResult<number>(errbackId).get(GET)).toBe(5);
  });

  it("runs xmap, xstarmap and chunks with Python's built-in celery.map/celery.starmap", async () => {
    const mapped = await xmap(t.tsum.s(), [[1, 2], [3]]).applyAsync();
    const starred = await xstarmap(t.add.s(), [
      [1, 2],
      [3, 4],
    ]).applyAsync();
    const chunked = await chunks(
      t.add.s(),
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
      2,
    ).applyAsync();
    expect(await mapped.get(GET)).toEqual([3, 3]);
    expect(await starred.get(GET)).toEqual([3, 7]);
    expect(await chunked.get(GET)).toEqual([[2, 4], [6]]);
  });

  it('Python restores a group TypeScript saved', async () => {
    const g = await group(t.add.s(5, 5), t.add.s(6, 6)).applyAsync();
    await g.save();
    const out = await runPython<{ ids: string[]; values: number[] }>(
      [
        'import json',
        'from celeriac_fixtures import app',
        `g = app.GroupResult.restore(${JSON.stringify(g.id)})`,
        'print(json.dumps({"ids": [r.id for r in g.results], "values": g.get(timeout=30)}))',
      ].join('\n'),
      { queuePrefix, resultTable, timeoutMs: 60_000 },
    );
    expect(out).toEqual({ ids: g.results.map((r) => r.id), values: [10, 12] });
  });
});

describe('celeriac canvas → celeriac worker, Python reads the results', () => {
  const queuePrefix = `${uniqueName('cv2ts')}-`;
  const resultTable = uniqueName('cv2ts-results');
  let worker: RunningWorker | undefined;
  let app: App;
  let t: ReturnType<typeof tasksOf>;
  const python = <T>(code: string) => runPython<T>(code, { queuePrefix, resultTable, timeoutMs: 60_000 });

  beforeAll(async () => {
    await setUpQueues(queuePrefix, resultTable);
    app = createApp({ queueNamePrefix: queuePrefix, resultTable, env: { AWS_ENDPOINT_URL: endpoint } });
    t = tasksOf(app);
    registerMapTasks(app);
    worker = runWorker(app, { concurrency: 4, waitTimeSeconds: 1, log: () => undefined });
  });

  afterAll(async () => {
    await worker?.stop();
  });

  it('chain, chord and nestings run on the celeriac worker; Python reads AsyncResult and .parent', async () => {
    const c = await chain(t.add.s(1, 2), t.add.s(3), t.add.s(4)).applyAsync();
    const body = await chord([t.add.s(1, 1), t.add.s(2, 2)], chain(t.tsum.s(), t.add.s(10))).applyAsync();
    const inChain = await chain(t.add.s(1, 1), chord([t.add.s(10), t.add.s(20)], t.tsum.s())).applyAsync();
    const upgraded = await chain(t.add.s(1, 2), group(t.add.s(1), t.add.s(2)), t.tsum.s()).applyAsync();
    const out = await python<number[]>(
      [
        'import json',
        'from celeriac_fixtures import app',
        `ids = ${JSON.stringify([c.id, c.parent?.id, body.id, inChain.id, upgraded.id])}`,
        'print(json.dumps([app.AsyncResult(i).get(timeout=30) for i in ids]))',
      ].join('\n'),
    );
    expect(out).toEqual([10, 6, 16, 34, 9]);
  });

  it('Python restores a group TypeScript saved and joins it', async () => {
    const g = await group(t.add.s(1, 1), t.add.s(2, 2), t.add.s(3, 3)).applyAsync();
    await g.save();
    const out = await python<number[]>(
      [
        'import json',
        'from celeriac_fixtures import app',
        `print(json.dumps(app.GroupResult.restore(${JSON.stringify(g.id)}).get(timeout=30)))`,
      ].join('\n'),
    );
    expect(out).toEqual([2, 4, 6]);
    const restored = await app.client.restoreGroup<number>(g.id);
    expect(await restored?.get(GET)).toEqual([2, 4, 6]);
  });

  it('Python sends chunks and a map; the celeriac worker runs them with its celery.starmap/celery.map', async () => {
    const out = await python<unknown[]>(
      [
        'import json',
        'from celeriac_fixtures import tasks',
        'c = tasks.add.chunks([(1, 1), (2, 2), (3, 3)], 2).apply_async()',
        'm = tasks.tsum.map([[1, 2], [3]]).apply_async()',
        'print(json.dumps([c.get(timeout=30), m.get(timeout=30)]))',
      ].join('\n'),
    );
    expect(out).toEqual([
      [[2, 4], [6]],
      [3, 3],
    ]);
  });

  it('a failing chord member: Python sees the body fail with ChordError', async () => {
    const result = await chord([t.add.s(1, 1), t.boom.si()], t.tsum.s()).applyAsync();
    const out = await python<{ state: string; type: string }>(
      [
        'import json',
        'from celeriac_fixtures import app',
        `r = app.AsyncResult(${JSON.stringify(result.id)})`,
        'try:',
        '    r.get(timeout=30)',
        'except Exception as exc:',
        '    print(json.dumps({"state": r.state, "type": type(exc).__name__}))',
      ].join('\n'),
    );
    expect(out).toEqual({ state: 'FAILURE', type: 'ChordError' });
  });
});

describe('celeriac canvas → the Lambda handler, Python reads the results', () => {
  const queuePrefix = `${uniqueName('cv2lambda')}-`;
  const resultTable = uniqueName('cv2lambda-results');
  let app: App;
  let t: ReturnType<typeof tasksOf>;
  let polling = true;
  let poller: Promise<void> | undefined;

  beforeAll(async () => {
    await setUpQueues(queuePrefix, resultTable);
    app = createApp({ queueNamePrefix: queuePrefix, resultTable, env: { AWS_ENDPOINT_URL: endpoint } });
    t = tasksOf(app);
    const handler = createSqsHandler(app, { log: () => undefined });
    const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
    const queueUrl = await app.runtime.broker.queueUrl(`${queuePrefix}celery`);
    // What Lambda's event source mapping does: poll, invoke the handler with the batch, delete what succeeded.
    poller = (async () => {
      while (polling) await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 1 });
    })();
  });

  afterAll(async () => {
    polling = false;
    await poller;
  });

  it('a chord inside a chain and a saved group run on the handler; Python reads both', async () => {
    const inChain = await chain(t.add.s(1, 1), chord([t.add.s(10), t.add.s(20)], t.tsum.s())).applyAsync();
    const g = await group(t.add.s(1, 1), t.add.s(2, 2)).applyAsync();
    await g.save();
    const out = await runPython<unknown[]>(
      [
        'import json',
        'from celeriac_fixtures import app',
        `c = app.AsyncResult(${JSON.stringify(inChain.id)}).get(timeout=30)`,
        `g = app.GroupResult.restore(${JSON.stringify(g.id)}).get(timeout=30)`,
        'print(json.dumps([c, g]))',
      ].join('\n'),
      { queuePrefix, resultTable, timeoutMs: 60_000 },
    );
    expect(out).toEqual([34, [2, 4]]);
  });
});
