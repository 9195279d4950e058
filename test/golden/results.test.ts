/**
 * Decodes every DynamoDB write in the golden vectors (`test/golden/results/*.json`, plus the chain's result
 * items in `messages/chain.json`) with celeriac's `decodeResultMeta`, checks the item format of Celery's
 * DynamoDB backend, re-encodes the metas with `buildResultMeta`/`encodeResultMeta` and compares the bytes with
 * Python's (after normalising `date_done`, the only value that depends on when the task ran), and reads the
 * golden items through the client's `AsyncResult`.
 *
 * Expected values come from each vector's Python code and Celery's semantics, never from celeriac's output.
 */
import { describe, expect, it } from 'vitest';
import { celeryTaskKey } from '../../src/aws/index.js';
import { TaskError, TaskRevokedError } from '../../src/errors.js';
import { toExceptionInfo } from '../../src/exception-table.js';
import { createApp } from '../../src/index.js';
import { createMemoryTransport } from '../../src/memory/index.js';
import type { ExceptionInfo } from '../../src/protocol/exception-info.js';
import { pythonJsonDumps } from '../../src/protocol/python-json.js';
import {
  buildResultMeta,
  decodeResultMeta,
  encodeResultMeta,
  type ResultMeta,
  type ResultMetaInput,
} from '../../src/protocol/result-meta.js';
import { decodeTaskMessage } from '../../src/protocol/task-message.js';
import {
  CalendarDate,
  Decimal,
  kombuJsonDumps,
  kombuJsonLoads,
  TimeOfDay,
  Uuid,
} from '../../src/protocol/type-tags.js';
import {
  dynamoReads,
  dynamoWrites,
  epochSeconds,
  type GoldenVector,
  type GoldenWrite,
  loadVector,
  loadVectors,
  PYTHON_UTC_ISO,
  sentMessages,
  UUID4,
} from './helpers/golden-vectors.js';

const TASK_META = "b'celery-task-meta-";

interface MetaWrite {
  readonly write: GoldenWrite;
  readonly text: string;
  readonly meta: ResultMeta;
}

/** The task result items a vector wrote, decoded. */
function metaWrites(vector: GoldenVector): MetaWrite[] {
  return dynamoWrites(vector)
    .filter((w) => w.operation === 'PutItem' && w.key.startsWith(TASK_META))
    .map((write) => {
      const text = write.resultText;
      if (text === undefined) throw new Error(`${vector.vector}: ${write.key} has no result attribute`);
      return { write, text, meta: decodeResultMeta(text) };
    });
}

function at<T>(list: readonly T[], index: number): T {
  const item = list[index];
  if (item === undefined) throw new Error(`expected an element at index ${index} of ${list.length}`);
  return item;
}

/** The `task_id='...'` values in the vector's Python code. */
function pythonTaskIds(vector: GoldenVector): string[] {
  return [...vector.python.matchAll(/task_id='([^']+)'/g)].map((match) => match[1] as string);
}

/** Replaces the value of `date_done` (the run's clock) so two metas compare byte for byte otherwise. */
function normaliseDateDone(text: string): string {
  return text.replace(/"date_done": "[^"]*"/, '"date_done": "<date_done>"');
}

/** `date_done` of a golden meta as a Date, for re-encoding (milliseconds: that is what a Date holds). */
function dateDoneOf(meta: ResultMeta): Date | null {
  return meta.date_done === null ? null : new Date(Math.round(epochSeconds(meta.date_done) * 1000));
}

/** Encodes a meta built from `input` and compares it with Python's bytes, `date_done` normalised. */
function expectSameBytes(input: ResultMetaInput, golden: string): void {
  const encoded = encodeResultMeta(buildResultMeta(input));
  expect(normaliseDateDone(encoded)).toBe(normaliseDateDone(golden));
  const dateDone = /"date_done": "([^"]*)"/.exec(encoded)?.[1];
  if (dateDone !== undefined) expect(dateDone).toMatch(PYTHON_UTC_ISO);
}

/** The input that rebuilds a decoded meta, field by field. */
function inputOf(meta: ResultMeta): ResultMetaInput {
  return {
    taskId: meta.task_id,
    status: meta.status,
    result: meta.result,
    traceback: meta.traceback,
    children: meta.children,
    dateDone: dateDoneOf(meta),
    groupId: meta.group_id ?? null,
    parentId: meta.parent_id ?? null,
    ...(meta.name === undefined
      ? {}
      : {
          extended: {
            name: meta.name,
            args: meta.args ?? [],
            kwargs: meta.kwargs ?? {},
            worker: meta.worker ?? '',
            retries: meta.retries ?? 0,
            queue: meta.queue ?? '',
          },
        }),
  };
}

/** An app on memory adapters holding `meta` as a stored result, and the result handle. */
async function storedResult(meta: ResultMeta) {
  const transport = createMemoryTransport();
  const app = createApp({ transport });
  await transport.results.put(meta.task_id, meta, { nowMs: Date.now() });
  return { app, result: app.asyncResult(meta.task_id) };
}

/** A remote error carrying Python's exception fields, as a task's error would. */
function remoteError(excType: string, excArgs: unknown[], excModule: string): Error {
  return Object.assign(new Error(String(excArgs[0])), { excType, excArgs, excModule });
}

const META_KEYS_HEAD = ['status', 'result', 'traceback', 'children', 'date_done'];
const EXTENDED_KEYS = ['name', 'args', 'kwargs', 'worker', 'retries', 'queue'];
const READY = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

const resultVectors = loadVectors('results');
const vectorsWithResults = [...resultVectors, loadVector('messages', 'chain')];
const everyMetaWrite = vectorsWithResults.flatMap((vector) =>
  metaWrites(vector).map((entry, index) => ({ vector, index, ...entry })),
);

const covered = new Set<string>();

function describeVector(name: string, body: (vector: GoldenVector, writes: MetaWrite[]) => void): void {
  covered.add(name);
  const vector = name === 'chain' ? loadVector('messages', 'chain') : loadVector('results', name);
  describe(`golden ${name}: ${vector.description}`, () => body(vector, metaWrites(vector)));
}

describe('every golden result item', () => {
  it('is covered by vector-specific expectations below', () => {
    expect([...covered].sort()).toEqual([...resultVectors.map((v) => v.vector), 'chain'].sort());
    expect(everyMetaWrite.length).toBeGreaterThanOrEqual(18);
  });

  it.each(everyMetaWrite.map((w) => [`${w.vector.vector} #${w.index} ${w.meta.status}`, w] as const))(
    "%s is a PutItem in Celery's DynamoDB item format",
    (_name, { vector, write, meta }) => {
      expect(write.key).toBe(celeryTaskKey(meta.task_id));
      expect(Object.keys(write.item)).toEqual(['id', 'result', 'timestamp']);
      const timestamp = Number(write.item.timestamp?.N);
      expect(timestamp).toBeGreaterThanOrEqual(vector.sent_at);
      expect(timestamp).toBeLessThan(vector.sent_at + 60);
      // Celery reads the item before each write (it does not overwrite a stored SUCCESS).
      const callIndex = vector.calls.findIndex((c) => c.params === write.params);
      const readBefore = vector.calls
        .slice(0, callIndex)
        .some(
          (c) =>
            c.operation === 'GetItem' &&
            (c.params.Key as { id: { S: string } }).id.S === celeryTaskKey(meta.task_id),
        );
      expect(readBefore).toBe(true);
    },
  );

  it.each(everyMetaWrite.map((w) => [`${w.vector.vector} #${w.index} ${w.meta.status}`, w] as const))(
    "%s has Celery's key order, and date_done exactly for ready states",
    (_name, { vector, write, meta, text }) => {
      const keys = Object.keys(JSON.parse(text) as object);
      const optional = keys.filter((k) => !META_KEYS_HEAD.includes(k) && k !== 'task_id');
      expect(keys.slice(0, 5)).toEqual(META_KEYS_HEAD);
      expect(keys.at(-1)).toBe('task_id');
      expect(optional).toEqual(
        ['group_id', 'parent_id', ...EXTENDED_KEYS].filter((k) => optional.includes(k)),
      );
      if (READY.has(meta.status)) {
        expect(meta.date_done).toMatch(PYTHON_UTC_ISO);
        const done = epochSeconds(meta.date_done as string);
        expect(done).toBeGreaterThanOrEqual(vector.sent_at);
        expect(done).toBeLessThanOrEqual(Number(write.item.timestamp?.N));
      } else {
        expect(meta.date_done).toBeNull();
      }
    },
  );

  // echo-type-tags is left out: its result holds a datetime with microseconds, which a JavaScript Date cannot
  // hold (its tags are compared element by element in that vector's block).
  const reencodable = everyMetaWrite.filter((w) => w.vector.vector !== 'echo-type-tags');
  it.each(reencodable.map((w) => [`${w.vector.vector} #${w.index} ${w.meta.status}`, w] as const))(
    '%s re-encodes from its decoded fields to the bytes Python wrote',
    (_name, { meta, text }) => {
      expectSameBytes(inputOf(meta), text);
    },
  );
});

describeVector('success', (vector, writes) => {
  const [id] = pythonTaskIds(vector);

  it('stores one SUCCESS with result 5, no traceback, no children recorded', () => {
    expect(writes).toHaveLength(1);
    const { meta } = at(writes, 0);
    expect(meta).toEqual({
      status: 'SUCCESS',
      result: 5,
      traceback: null,
      children: [],
      date_done: meta.date_done,
      task_id: id,
    });
  });

  it('is what buildResultMeta writes for a SUCCESS with result 5', () => {
    const { meta, text } = at(writes, 0);
    expectSameBytes({ taskId: id as string, status: 'SUCCESS', result: 5, dateDone: dateDoneOf(meta) }, text);
  });

  it('reads back through AsyncResult as a successful, ready result', async () => {
    const { result } = await storedResult(at(writes, 0).meta);
    expect(await result.get({ timeoutMs: 1000 })).toBe(5);
    expect(await result.state()).toBe('SUCCESS');
    expect(await result.ready()).toBe(true);
    expect(await result.successful()).toBe(true);
    expect(await result.failed()).toBe(false);
    expect(await result.traceback()).toBeNull();
  });
});

describeVector('echo-type-tags', (_vector, writes) => {
  const { meta, text } = at(writes, 0);
  const pythonResult = (JSON.parse(text) as { result: [unknown[], Record<string, unknown>] }).result;

  it('keeps kombu type tags and non-ASCII text in the stored result', () => {
    expect(meta.result).toStrictEqual([
      [
        new Date('2024-01-02T03:04:05.000Z'),
        new CalendarDate('2024-01-02'),
        new TimeOfDay('01:02:03'),
        new Decimal('1.10'),
        new Uuid('12345678-1234-5678-1234-567812345678'),
        new Uint8Array([0x61, 0x62, 0x63]),
        new Uint8Array([0xff, 0x00]),
      ],
      { text: 'café 中 🎉' },
    ]);
  });

  it('re-encodes every tagged value but the microsecond datetime to the bytes Python wrote', () => {
    // pythonJsonDumps reproduces Python's bytes for the untagged JSON, so element texts can be compared.
    expect(pythonJsonDumps(JSON.parse(text))).toBe(text);
    const [args, kwargs] = meta.result as [unknown[], Record<string, unknown>];
    for (let i = 1; i < args.length; i++) {
      expect(kombuJsonDumps(args[i])).toBe(pythonJsonDumps(pythonResult[0][i]));
    }
    expect(kombuJsonDumps(kwargs)).toBe(pythonJsonDumps(pythonResult[1]));
  });

  it('writes the datetime without its 6 µs, the one loss of a millisecond JavaScript Date', () => {
    const [args] = meta.result as [unknown[]];
    expect(pythonJsonDumps(pythonResult[0][0])).toBe(
      '{"__type__": "datetime", "__value__": "2024-01-02T03:04:05.000006+00:00"}',
    );
    expect(kombuJsonDumps(args[0])).toBe(
      '{"__type__": "datetime", "__value__": "2024-01-02T03:04:05+00:00"}',
    );
  });

  it('reads back through AsyncResult with the value types intact', async () => {
    const { result } = await storedResult(meta);
    expect(await result.get({ timeoutMs: 1000 })).toStrictEqual(meta.result);
  });
});

describeVector('failure', (vector, writes) => {
  const [id] = pythonTaskIds(vector);
  const { meta, text } = at(writes, 0);

  it("stores FAILURE with the exception as {exc_type, exc_message: args, exc_module} and Python's traceback", () => {
    expect(writes).toHaveLength(1);
    expect(meta.status).toBe('FAILURE');
    expect(meta.result).toEqual({
      exc_type: 'ValueError',
      exc_message: ['boom', 42],
      exc_module: 'builtins',
    });
    expect(meta.traceback).toMatch(/^Traceback \(most recent call last\):\n/);
    expect(meta.traceback?.endsWith("ValueError: ('boom', 42)\n")).toBe(true);
    expect(meta.children).toEqual([]);
  });

  it('is what celeriac writes for an error carrying ValueError fields', () => {
    const info = toExceptionInfo(remoteError('ValueError', ['boom', 42], 'builtins'));
    expectSameBytes(
      {
        taskId: id as string,
        status: 'FAILURE',
        result: info,
        traceback: meta.traceback,
        dateDone: dateDoneOf(meta),
      },
      text,
    );
  });

  it('makes AsyncResult.get() reject with a TaskError carrying the remote type, args, module and traceback', async () => {
    const { result } = await storedResult(meta);
    const error = await result.get({ timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskError);
    expect(error).toMatchObject({
      taskId: id,
      excType: 'ValueError',
      excArgs: ['boom', 42],
      excModule: 'builtins',
      remoteTraceback: meta.traceback,
    });
    expect(await result.failed()).toBe(true);
    expect(await result.traceback()).toBe(meta.traceback);
  });
});

describeVector('failure-custom-exception', (vector, writes) => {
  const [id] = pythonTaskIds(vector);
  const { meta, text } = at(writes, 0);

  it('stores the class name and the module that defines it', () => {
    expect(meta.result).toEqual({
      exc_type: 'PaymentDeclined',
      exc_message: ['card 4242 declined', 402],
      exc_module: 'celeriac_fixtures.tasks',
    });
    expect(
      meta.traceback?.endsWith("celeriac_fixtures.tasks.PaymentDeclined: ('card 4242 declined', 402)\n"),
    ).toBe(true);
  });

  it('is what celeriac writes for an error carrying those fields', () => {
    const info = toExceptionInfo(
      remoteError('PaymentDeclined', ['card 4242 declined', 402], 'celeriac_fixtures.tasks'),
    );
    expectSameBytes(
      {
        taskId: id as string,
        status: 'FAILURE',
        result: info,
        traceback: meta.traceback,
        dateDone: dateDoneOf(meta),
      },
      text,
    );
  });

  it('is rebuilt into the class registered by its qualified name', async () => {
    class PaymentDeclined extends Error {
      constructor(
        readonly reason: string,
        readonly code: number,
      ) {
        super(reason);
      }
    }
    const { app, result } = await storedResult(meta);
    app.registerError(
      'celeriac_fixtures.tasks.PaymentDeclined',
      (args) => new PaymentDeclined(String(args[0]), Number(args[1])),
    );
    const error = await result.get({ timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentDeclined);
    expect(error).toMatchObject({ reason: 'card 4242 declined', code: 402 });
  });
});

describeVector('progress', (vector, writes) => {
  const [id] = pythonTaskIds(vector);

  it('stores the custom state with its meta and no date_done, then SUCCESS', () => {
    expect(writes.map((w) => w.meta.status)).toEqual(['PROGRESS', 'SUCCESS']);
    expect(at(writes, 0).meta).toMatchObject({
      result: { done: 1, total: 2 },
      date_done: null,
      children: [],
    });
    expect(at(writes, 1).meta.result).toBe('ok');
  });

  it('is byte for byte what buildResultMeta writes for the custom state', () => {
    const progress = encodeResultMeta(
      buildResultMeta({ taskId: id as string, status: 'PROGRESS', result: { done: 1, total: 2 } }),
    );
    expect(progress).toBe(at(writes, 0).text);
  });

  it('reads as an unready custom state whose info is the meta', async () => {
    const { result } = await storedResult(at(writes, 0).meta);
    expect(await result.state()).toBe('PROGRESS');
    expect(await result.info()).toEqual({ done: 1, total: 2 });
    expect(await result.ready()).toBe(false);
  });
});

describeVector('revoked-expired', (vector, writes) => {
  const [id] = pythonTaskIds(vector);
  const { meta, text } = at(writes, 0);

  it('stores REVOKED with TaskRevokedError("expired"), no traceback, and a date_done', () => {
    expect(writes).toHaveLength(1);
    expect(meta).toMatchObject({
      status: 'REVOKED',
      result: { exc_type: 'TaskRevokedError', exc_message: ['expired'], exc_module: 'celery.exceptions' },
      traceback: null,
      children: [],
    });
    expect(meta.date_done).toMatch(PYTHON_UTC_ISO);
  });

  it("is what celeriac writes for its TaskRevokedError('expired')", () => {
    const info = toExceptionInfo(TaskRevokedError.forTask(id as string, 'expired'));
    expectSameBytes(
      { taskId: id as string, status: 'REVOKED', result: info, dateDone: dateDoneOf(meta) },
      text,
    );
  });

  it('makes AsyncResult.get() reject with TaskRevokedError, reason expired', async () => {
    const { result } = await storedResult(meta);
    const error = await result.get({ timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskRevokedError);
    expect(error).toMatchObject({ taskId: id, reason: 'expired' });
    expect(await result.ready()).toBe(true);
  });
});

describeVector('ignore-result', (vector, writes) => {
  it('runs the task and acknowledges the message without touching DynamoDB', () => {
    expect(writes).toHaveLength(0);
    expect(vector.calls.filter((c) => c.service === 'dynamodb')).toEqual([]);
    expect(vector.calls.map((c) => c.operation)).toEqual(['SendMessage', 'DeleteMessage']);
    expect(decodeTaskMessage(at(sentMessages(vector), 0).messageBody).headers.ignore_result).toBe(true);
  });
});

describeVector('group-save', (vector, writes) => {
  const members = sentMessages(vector).map((s) => decodeTaskMessage(s.messageBody));
  const groupId = at(members, 0).headers.group as string;

  it('saves the group as celery-taskset-meta-<gid> holding the result tuples of its members', () => {
    const saved = dynamoWrites(vector).filter((w) => w.key.startsWith("b'celery-taskset-meta-"));
    expect(saved).toHaveLength(1);
    const [group] = saved as [GoldenWrite];
    expect(groupId).toMatch(UUID4);
    expect(group.key).toBe(`b'celery-taskset-meta-${groupId}'`);
    expect(Object.keys(group.item)).toEqual(['id', 'result', 'timestamp']);
    expect(kombuJsonLoads(group.resultText as string, 'group meta')).toEqual({
      result: [[groupId, null], members.map((m) => [[m.headers.id, null], null])],
    });
    expect(dynamoReads(vector)).toContain(group.key);
  });

  it('stores each member result with the group id', () => {
    expect(writes).toHaveLength(2);
    for (const { meta } of writes) {
      expect(meta.status).toBe('SUCCESS');
      expect(meta.group_id).toBe(groupId);
    }
    expect(writes.map((w) => w.meta.task_id).sort()).toEqual(members.map((m) => m.headers.id).sort());
  });
});

describeVector('retry', (vector, writes) => {
  const [id] = pythonTaskIds(vector);
  const keyError: ExceptionInfo = { exc_type: 'KeyError', exc_message: ['k'], exc_module: 'builtins' };

  it('stores RETRY with the exc given to retry(), the Retry traceback, no date_done and itself as child', () => {
    expect(writes.map((w) => w.meta.status)).toEqual(['RETRY', 'RETRY']);
    for (const { meta } of writes) {
      expect(meta.result).toEqual(keyError);
      expect(meta.traceback?.endsWith("celery.exceptions.Retry: Retry in 5s: KeyError('k')\n")).toBe(true);
      expect(meta.date_done).toBeNull();
      expect(meta.children).toEqual([[[id, null], null]]);
    }
  });

  it('records parent_id from the second run on: the retry message names the task itself as parent', () => {
    expect(at(writes, 0).meta).not.toHaveProperty('parent_id');
    expect(at(writes, 1).meta.parent_id).toBe(id);
  });

  it('is byte for byte what buildResultMeta writes for both RETRY metas', () => {
    for (const [index, { meta, text }] of writes.entries()) {
      const encoded = encodeResultMeta(
        buildResultMeta({
          taskId: id as string,
          status: 'RETRY',
          result: toExceptionInfo(remoteError('KeyError', ['k'], 'builtins')),
          traceback: meta.traceback,
          children: [[[id, null], null]],
          parentId: index === 0 ? null : (id as string),
        }),
      );
      expect(encoded).toBe(text);
    }
  });

  it('reads as an unready RETRY whose traceback AsyncResult returns', async () => {
    const { result } = await storedResult(at(writes, 1).meta);
    expect(await result.state()).toBe('RETRY');
    expect(await result.ready()).toBe(false);
    expect(await result.traceback()).toBe(at(writes, 1).meta.traceback);
    await expect(result.get({ timeoutMs: 50, intervalMs: 10 })).rejects.toThrow(/not ready/);
  });
});

describeVector('success-extended-started', (vector, writes) => {
  const [id] = pythonTaskIds(vector);
  const extended = {
    name: 'tasks.add',
    args: [2, 3],
    kwargs: {},
    worker: 'golden@celeriac',
    retries: 0,
    queue: 'celery',
  };

  it('stores STARTED with {pid, hostname}, then SUCCESS, both with the extended fields before task_id', () => {
    expect(writes.map((w) => w.meta.status)).toEqual(['STARTED', 'SUCCESS']);
    const [started, success] = writes.map((w) => w.meta) as [ResultMeta, ResultMeta];
    expect(started.result).toEqual({ pid: expect.any(Number), hostname: 'golden@celeriac' });
    expect(Number.isInteger((started.result as { pid: number }).pid)).toBe(true);
    expect(started.date_done).toBeNull();
    expect(success.result).toBe(5);
    for (const meta of [started, success]) expect(meta).toMatchObject(extended);
  });

  it('is byte for byte what buildResultMeta writes for STARTED, and for SUCCESS up to date_done', () => {
    const [started, success] = writes as [MetaWrite, MetaWrite];
    expect(
      encodeResultMeta(
        buildResultMeta({ taskId: id as string, status: 'STARTED', result: started.meta.result, extended }),
      ),
    ).toBe(started.text);
    expectSameBytes(
      { taskId: id as string, status: 'SUCCESS', result: 5, dateDone: dateDoneOf(success.meta), extended },
      success.text,
    );
  });
});

describeVector('chord', (vector, writes) => {
  const messages = sentMessages(vector).map((s) => decodeTaskMessage(s.messageBody));
  const [h0, h1, body] = messages as [(typeof messages)[0], (typeof messages)[0], (typeof messages)[0]];
  const groupId = h0.headers.group as string;
  const all = dynamoWrites(vector);
  const counterKey = `b'chord-unlock-${groupId}'`;
  const groupKey = `b'celery-taskset-meta-${groupId}'`;

  it('creates the counter item with chord_count 0, then saves the group, before any header runs', () => {
    const [counter, group] = all as [GoldenWrite, GoldenWrite];
    expect(counter.operation).toBe('PutItem');
    expect(counter.key).toBe(counterKey);
    expect(Object.keys(counter.item)).toEqual(['id', 'chord_count', 'timestamp']);
    expect(counter.item.chord_count).toEqual({ N: '0' });
    expect(group.key).toBe(groupKey);
    expect(kombuJsonLoads(group.resultText as string, 'group meta')).toEqual({
      result: [
        [groupId, null],
        [
          [[h0.headers.id, null], null],
          [[h1.headers.id, null], null],
        ],
      ],
    });
  });

  it('increments the counter once per header result', () => {
    const increments = all.filter((w) => w.operation === 'UpdateItem');
    expect(increments).toHaveLength(2);
    for (const increment of increments) {
      expect(increment.key).toBe(counterKey);
      expect(increment.params).toMatchObject({
        UpdateExpression: 'set chord_count = chord_count + :num',
        ExpressionAttributeValues: { ':num': { N: '1' } },
        ReturnValues: 'UPDATED_NEW',
      });
    }
  });

  it('stores header results with group_id, and the body result with group_id and then parent_id', () => {
    expect(writes.map((w) => [w.meta.task_id, w.meta.result])).toEqual([
      [h0.headers.id, 2],
      [h1.headers.id, 4],
      [body.headers.id, 6],
    ]);
    for (const { meta } of writes) expect(meta.group_id).toBe(groupId);
    expect(at(writes, 2).meta.parent_id).toBe(body.headers.parent_id);
    expect(Object.keys(at(writes, 2).meta).slice(-3)).toEqual(['group_id', 'parent_id', 'task_id']);
  });

  it('deletes the group and the counter after sending the body', () => {
    const deletes = all.filter((w) => w.operation === 'DeleteItem').map((w) => w.key);
    expect(deletes).toEqual([groupKey, counterKey]);
    const bodySend = vector.calls.findIndex(
      (c) =>
        c.operation === 'SendMessage' &&
        decodeTaskMessage(c.params.MessageBody as string).headers.id === body.headers.id,
    );
    const firstDelete = vector.calls.findIndex((c) => c.operation === 'DeleteItem');
    expect(bodySend).toBeGreaterThan(0);
    expect(firstDelete).toBeGreaterThan(bodySend);
  });
});

describeVector('chain', (vector, writes) => {
  const [first, second, third] = sentMessages(vector).map((s) => decodeTaskMessage(s.messageBody)) as [
    ReturnType<typeof decodeTaskMessage>,
    ReturnType<typeof decodeTaskMessage>,
    ReturnType<typeof decodeTaskMessage>,
  ];

  it('stores each step with the next step as its child and the previous step as its parent', () => {
    expect(writes.map((w) => w.meta.result)).toEqual([3, 6, 10]);
    const [a, b, c] = writes.map((w) => w.meta) as [ResultMeta, ResultMeta, ResultMeta];
    expect(a).toMatchObject({ task_id: first.headers.id, children: [[[second.headers.id, null], null]] });
    expect(a).not.toHaveProperty('parent_id');
    expect(b).toMatchObject({
      task_id: second.headers.id,
      children: [[[third.headers.id, null], null]],
      parent_id: first.headers.id,
    });
    expect(c).toMatchObject({ task_id: third.headers.id, children: [], parent_id: second.headers.id });
  });

  it('is what buildResultMeta writes for a step with a child', () => {
    const b = at(writes, 1);
    expectSameBytes(
      {
        taskId: second.headers.id,
        status: 'SUCCESS',
        result: 6,
        children: [[[third.headers.id, null], null]],
        dateDone: dateDoneOf(b.meta),
        parentId: first.headers.id,
      },
      b.text,
    );
  });
});
