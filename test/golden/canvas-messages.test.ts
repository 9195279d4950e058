/**
 * The canvas sends the bytes Python Celery's canvas sends. Each golden vector's workflow is built again with
 * celeriac's `chain`/`group`/`chord` on memory adapters, with the ids Celery generated (task ids, group ids and
 * the `reply_to` oid its frozen signatures carry) set on the signatures, a clock stopped at the vector's
 * `sent_at` and the producer's `origin`; the SQS MessageBodies are then compared: the inner task body (where the
 * `chain` and `chord` embeds live) byte for byte, the envelope after the values Celery draws at random per
 * message (`reply_to`, `delivery_tag`) are masked.
 *
 * Vectors: `messages/chain.json`, `messages/chord.json`, `messages/group.json` (recorded with the other golden
 * messages) and `canvas/*.json` (nested forms, recorded by `scripts/capture-golden-canvas.py`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chain, chord, chunks, group, type Signature, xmap } from '../../src/canvas/index.js';
import { createApp } from '../../src/index.js';
import { createMemoryTransport } from '../../src/memory/index.js';
import type { Broker, OutgoingMessage } from '../../src/ports/broker.js';
import { canonicalQueueName } from '../../src/protocol/queue-name.js';
import { decodeTaskMessage, type TaskMessage } from '../../src/protocol/task-message.js';
import { executeMessage } from '../../src/worker/execute-message.js';
import { workerIdentity } from '../../src/worker/worker-identity.js';
import {
  envelopeText,
  type GoldenVector,
  loadVector,
  queueNameOf,
  rawBodyText,
  sentMessages,
} from './helpers/golden-vectors.js';

/** A vector of `test/golden/canvas/messages/` (same file format as the other golden vectors). */
function loadCanvasVector(name: string): GoldenVector {
  const file = path.resolve(import.meta.dirname, 'canvas', 'messages', `${name}.json`);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Omit<GoldenVector, 'file'>;
  return { ...parsed, file: `canvas/messages/${name}.json` };
}

/** The envelope without the base64 task body (compared decoded) and Celery's per-message random values. */
function normalise(envelope: string): string {
  return envelope
    .replace(/^\{"body": "[^"]*"/, '{"body": "<body>"')
    .replace(/"reply_to": "[^"]*"/g, '"reply_to": "<reply_to>"')
    .replace(/"delivery_tag": "[^"]*"/g, '"delivery_tag": "<delivery_tag>"');
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** The ids the canvas vectors fix with `.set(task_id=...)`. */
const FIXED_ID = /^0{7}\d-0000-4000-9000-\d{12}$/;

/**
 * Replaces the ids Celery draws itself where it ignores a set id (a chord header's group id, a chord body
 * chain's own id) with `<id-1>`, `<id-2>`, ... in order of first appearance, so two messages of the same
 * structure compare equal whatever was drawn; every fixed id and every other byte stays.
 */
function drawnIds(text: string): string {
  const seen = new Map<string, string>();
  return text.replace(UUID, (id) => {
    if (FIXED_ID.test(id)) return id;
    const known = seen.get(id) ?? `<id-${seen.size + 1}>`;
    seen.set(id, known);
    return known;
  });
}

class RecordingBroker implements Broker {
  readonly sent: { queueUrl: string; message: OutgoingMessage }[] = [];
  readonly #inner: Broker;
  constructor(inner: Broker) {
    this.#inner = inner;
  }
  queueUrl(name: string): Promise<string> {
    return this.#inner.queueUrl(name);
  }
  send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<string[]> {
    for (const message of messages) this.sent.push({ queueUrl, message });
    return this.#inner.send(queueUrl, messages);
  }
  receive(...args: Parameters<Broker['receive']>) {
    return this.#inner.receive(...args);
  }
  delete(...args: Parameters<Broker['delete']>) {
    return this.#inner.delete(...args);
  }
  changeVisibility(...args: Parameters<Broker['changeVisibility']>) {
    return this.#inner.changeVisibility(...args);
  }
  /** The `group` header of the first message sent that has one. */
  sentGroup(): string {
    const found = this.sent.map((s) => decodeTaskMessage(s.message.body).headers.group).find(Boolean);
    if (!found) throw new Error('no message with a group was sent');
    return found;
  }
}

/** The producer's messages of a vector (sent before any worker call), decoded. */
function producerMessages(vector: GoldenVector, count: number) {
  const sends = sentMessages(vector).slice(0, count);
  return sends.map((send) => ({ send, message: decodeTaskMessage(send.messageBody) }));
}

/** A celeriac app set up like the vector's Python producer, with the fixture app's tasks. */
function producerLike(vector: GoldenVector) {
  const first = sentMessages(vector)[0];
  if (!first) throw new Error(`${vector.file} sent nothing`);
  const origin = decodeTaskMessage(first.messageBody).headers.origin;
  const queueName = queueNameOf(first.queueUrl);
  const prefix = queueName.slice(0, queueName.length - canonicalQueueName(vector.queue).length);
  const nowMs = Math.round(vector.sent_at * 1000);
  const memory = createMemoryTransport({ now: () => nowMs });
  memory.broker.createQueue(canonicalQueueName(vector.queue, prefix));
  const broker = new RecordingBroker(memory.broker);
  const app = createApp({ transport: { ...memory, broker }, origin, queueNamePrefix: prefix });
  const add = app.task('tasks.add', (a: number, b: number) => a + b);
  const tsum = app.task('tasks.tsum', (numbers: number[]) => numbers.reduce((x, y) => x + y, 0));
  return { app, broker, tasks: { add, tsum } };
}

/**
 * The `reply_to` Celery put on the workflow's messages and in its frozen signatures: the producer thread's oid,
 * one value for the whole workflow.
 */
function embedReplyTo(message: TaskMessage): string {
  const replyTo = message.properties.reply_to;
  if (typeof replyTo !== 'string') throw new Error('no reply_to in the message');
  return replyTo;
}

function expectSameMessages(
  broker: RecordingBroker,
  golden: ReturnType<typeof producerMessages>,
  ids: (text: string) => string = (text) => text,
): void {
  expect(broker.sent).toHaveLength(golden.length);
  broker.sent.forEach(({ queueUrl, message }, index) => {
    const expected = golden[index]?.send;
    if (!expected) throw new Error(`no golden message ${index}`);
    expect(queueNameOf(queueUrl)).toBe(queueNameOf(expected.queueUrl));
    expect(ids(rawBodyText(message.body))).toBe(ids(rawBodyText(expected.messageBody)));
    expect(ids(normalise(envelopeText(message.body)))).toBe(
      ids(normalise(envelopeText(expected.messageBody))),
    );
  });
}

/** Fixed id `n` of canvas vector `v`, as scripts/capture-golden-canvas.py writes them. */
function cid(v: number, n: number): string {
  return `${String(v).padStart(8, '0')}-0000-4000-9000-${String(n).padStart(12, '0')}`;
}

function withId<S extends Signature>(sig: S, id: string | undefined): S {
  if (!id) throw new Error('missing id');
  return sig.set({ taskId: id });
}

describe('the canvas sends the bytes Python Celery sends', () => {
  it('chain(add.s(1, 2), add.s(3), add.s(4)): one message, embed.chain reversed with frozen ids', async () => {
    const vector = loadVector('messages', 'chain');
    const golden = producerMessages(vector, 1);
    const first = golden[0]?.message as TaskMessage;
    const { broker, tasks } = producerLike(vector);
    const [step3, step2] = first.embed.chain ?? [];
    const result = await chain(
      withId(tasks.add.s(1, 2), first.headers.id),
      withId(tasks.add.s(3), step2?.options.task_id),
      withId(tasks.add.s(4), step3?.options.task_id),
    ).applyAsync([], {}, { replyTo: embedReplyTo(first) });
    expectSameMessages(broker, golden);
    expect(result.id).toBe(step3?.options.task_id);
  });

  it('group(add.s(1, 1), add.s(2, 2)): one message per member, group and group_index headers', async () => {
    const vector = loadVector('messages', 'group');
    const golden = producerMessages(vector, 2);
    const { broker, tasks } = producerLike(vector);
    const [m0, m1] = golden.map((g) => g.message);
    const flow = group(withId(tasks.add.s(1, 1), m0?.headers.id), withId(tasks.add.s(2, 2), m1?.headers.id));
    const result = await flow.set({ taskId: m0?.headers.group as string }).applyAsync();
    expectSameMessages(broker, golden);
    expect(result.id).toBe(m0?.headers.group);
  });

  it('chord([add.s(1, 1), add.s(2, 2)], tsum.s()): header messages with the frozen body in embed.chord', async () => {
    const vector = loadVector('messages', 'chord');
    const golden = producerMessages(vector, 2);
    const { app, broker, tasks } = producerLike(vector);
    const [m0, m1] = golden.map((g) => g.message);
    const body = m0?.embed.chord;
    const groupId = m0?.headers.group as string;
    const flow = chord(
      [withId(tasks.add.s(1, 1), m0?.headers.id), withId(tasks.add.s(2, 2), m1?.headers.id)],
      withId(tasks.tsum.s(), body?.options.task_id),
    );
    // Celery draws the header's group id when the chord is sent; the test fixes it to the recorded one.
    flow.header.set({ taskId: groupId });
    const result = await flow.applyAsync([], {}, { replyTo: embedReplyTo(m0 as TaskMessage) });
    expectSameMessages(broker, golden);
    expect(result.id).toBe(body?.options.task_id);
    // The producer saved the group before sending the header, as Celery's apply_chord does.
    expect(await app.runtime.results.getGroupMembers(groupId)).toEqual([m0?.headers.id, m1?.headers.id]);
  });
});

describe('nested canvases send the bytes Python Celery sends', () => {
  function setUp(name: string, producerSends: number) {
    const vector = loadCanvasVector(name);
    const golden = producerMessages(vector, producerSends);
    const fx = producerLike(vector);
    const replyTo = embedReplyTo(golden[0]?.message as TaskMessage);
    return { vector, golden, replyTo, ...fx };
  }

  it('group of chains: each chain starts plain, its last step carries the group id and index', async () => {
    const { golden, replyTo, broker, tasks } = setUp('group-of-chains', 2);
    const { add } = tasks;
    const result = await group(
      chain(add.s(1, 1).set({ taskId: cid(1, 1) }), add.s(10).set({ taskId: cid(1, 2) })),
      chain(add.s(2, 2).set({ taskId: cid(1, 3) }), add.s(20).set({ taskId: cid(1, 4) })),
    )
      .set({ taskId: cid(1, 99) })
      .applyAsync([], {}, { replyTo });
    expectSameMessages(broker, golden);
    expect(result.results.map((r) => r.id)).toEqual([cid(1, 2), cid(1, 4)]);
  });

  it('chain(add, group(add, add), tsum): the group followed by a task travels as a chord in embed.chain', async () => {
    const { golden, replyTo, broker, tasks } = setUp('chain-group-task', 1);
    const { add, tsum } = tasks;
    const result = await chain(
      add.s(1, 2).set({ taskId: cid(2, 1) }),
      group(add.s(1).set({ taskId: cid(2, 2) }), add.s(2).set({ taskId: cid(2, 3) })).set({
        taskId: cid(2, 99),
      }),
      tsum.s().set({ taskId: cid(2, 4) }),
    ).applyAsync([], {}, { replyTo });
    expectSameMessages(broker, golden, drawnIds);
    expect(result.id).toBe(cid(2, 4));
  });

  it('chord with a chain body: the frozen chain in embed.chord, its last task in the group', async () => {
    const { golden, replyTo, broker, tasks, app } = setUp('chord-chain-body', 2);
    const { add, tsum } = tasks;
    const result = await chord(
      group(add.s(1, 1).set({ taskId: cid(3, 1) }), add.s(2, 2).set({ taskId: cid(3, 2) })).set({
        taskId: cid(3, 99),
      }),
      chain(tsum.s().set({ taskId: cid(3, 3) }), add.s(10).set({ taskId: cid(3, 4) })),
    ).applyAsync([], {}, { replyTo });
    expectSameMessages(broker, golden, drawnIds);
    expect(result.id).toBe(cid(3, 4));
    const groupId = golden[0]?.message.headers.group;
    expect(groupId).not.toBe(cid(3, 99));
    const saved = await app.runtime.results.getGroupMembers(broker.sentGroup());
    expect(saved).toEqual([cid(3, 1), cid(3, 2)]);
  });

  it('chord inside a chain: the chord travels in embed.chain', async () => {
    const { golden, replyTo, broker, tasks } = setUp('chord-in-chain', 1);
    const { add, tsum } = tasks;
    const result = await chain(
      add.s(1, 1).set({ taskId: cid(4, 1) }),
      chord(
        group(add.s(10).set({ taskId: cid(4, 2) }), add.s(20).set({ taskId: cid(4, 3) })).set({
          taskId: cid(4, 99),
        }),
        tsum.s().set({ taskId: cid(4, 4) }),
      ),
    ).applyAsync([], {}, { replyTo });
    expectSameMessages(broker, golden, drawnIds);
    expect(result.id).toBe(cid(4, 4));
  });

  it('chain with linkError: the errback on every step, the first step has it in embed.errbacks', async () => {
    const { golden, replyTo, broker, tasks } = setUp('chain-link-error', 1);
    const { add, tsum } = tasks;
    await chain(add.s(1, 2).set({ taskId: cid(5, 1) }), add.s(3).set({ taskId: cid(5, 2) })).applyAsync(
      [],
      {},
      { replyTo, linkError: tsum.si([0]).set({ taskId: cid(5, 3) }) },
    );
    expectSameMessages(broker, golden);
  });

  /**
   * `kwargsrepr` (a log-only header) is Python's repr of the kwargs, where a signature's args and the items are
   * tuples (`()`, `(1, 1)`); JSON cannot tell a tuple from a list, so celeriac writes `[]`. Masked here; the
   * task body with the same kwargs is compared byte for byte.
   */
  const withoutKwargsRepr = (text: string) =>
    drawnIds(text.replace(/"kwargsrepr": "[^"]*"/, '"kwargsrepr": "<repr>"'));

  it('map: one celery.map message with kwargs {task, it}', async () => {
    const { golden, broker, tasks } = setUp('map', 1);
    const result = await xmap(tasks.tsum.s(), [[1, 2], [3]]).applyAsync([], {}, { taskId: cid(6, 1) });
    expectSameMessages(broker, golden, withoutKwargsRepr);
    expect(result.id).toBe(cid(6, 1));
  });

  it('chunks: a group of celery.starmap messages over chunks of n', async () => {
    const { golden, broker, tasks } = setUp('chunks', 2);
    const items = [
      [1, 1],
      [2, 2],
      [3, 3],
    ];
    const result = await chunks(tasks.add.s(), items, 2).applyAsync([], {}, { taskId: cid(7, 99) });
    expectSameMessages(broker, golden, withoutKwargsRepr);
    expect(result.id).toBe(cid(7, 99));
  });
});

describe('a celeriac worker applies a chord step as Python Celery’s worker does', () => {
  /**
   * The Python producer's first message runs on a celeriac worker (on memory adapters, `origin` set to the Python
   * worker's): the chord in its `embed.chain` is applied with the task's result, and the header messages the
   * worker sends are compared with the ones Python's worker sent in the same vector.
   */
  async function workerSends(name: string) {
    const vector = loadCanvasVector(name);
    const sends = sentMessages(vector);
    const first = sends[0];
    const header = sends.slice(1, 3);
    if (!first || header.length !== 2) throw new Error(`${vector.file} lacks the header messages`);
    const workerOrigin = decodeTaskMessage(header[0]?.messageBody as string).headers.origin;
    const queueName = queueNameOf(first.queueUrl);
    const memory = createMemoryTransport({ now: () => Math.round(vector.sent_at * 1000) });
    const url = memory.broker.createQueue(queueName);
    const broker = new RecordingBroker(memory.broker);
    const prefix = queueName.slice(0, queueName.length - 'celery'.length);
    const app = createApp({
      transport: { ...memory, broker },
      origin: workerOrigin,
      queueNamePrefix: prefix,
    });
    app.task('tasks.add', (a: number, b: number) => a + b);
    await memory.broker.send(url, [{ body: first.messageBody }]);
    const [inbound] = await memory.broker.receive(url, {
      maxMessages: 1,
      waitTimeSeconds: 0,
      visibilityTimeoutSeconds: 30,
    });
    if (!inbound) throw new Error('no message');
    const outcome = await executeMessage(
      { ...inbound, queueUrl: url },
      {
        registry: app.registry,
        runtime: app.runtime,
        identity: workerIdentity(),
        leaseMs: 60_000,
        queueName: 'celery',
      },
    );
    expect(outcome.state).toBe('SUCCESS');
    return { broker, golden: header.map((send) => ({ send, message: decodeTaskMessage(send.messageBody) })) };
  }

  it('chain-group-task: the upgraded chord, applied by the worker', async () => {
    const { broker, golden } = await workerSends('chain-group-task');
    expectSameMessages(broker, golden, drawnIds);
  });

  it('chord-in-chain: the chord step, applied by the worker', async () => {
    const { broker, golden } = await workerSends('chord-in-chain');
    expectSameMessages(broker, golden, drawnIds);
  });
});
