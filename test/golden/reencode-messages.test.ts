/**
 * Produces the golden messages again with celeriac and compares bytes with what Python Celery sent.
 *
 * Calls the client can make (`sendTask`, `task.applyAsync` with countdown, expires, headers, priority, time
 * limits, shadow, link/linkError, FIFO ids, ignoreResult) go through the real client: `createApp` on memory
 * adapters with the golden's `origin` and a clock fixed at the vector's `sent_at`, and the `SendMessage`
 * parameters are read off the broker. Only what Celery generated at random or from its own clock is
 * normalised: `reply_to` and `delivery_tag` (random per process/message) and the `eta`/`expires` values
 * (the producer's clock, in microseconds); their offsets from the send are checked separately. `expiration`
 * is compared exactly.
 *
 * Messages only a worker or the canvas sends (group members, chain steps, chord header and body, retries),
 * stamps and the plain-JSON MessageBody are rebuilt at the protocol level with `buildTaskMessage`, fed the ids
 * Celery generated (task ids, group ids, reply_to, delivery_tag), and compared whole.
 *
 * Not reproducible, by design or for want of a feature (each stated where it applies):
 * - countdown: celeriac also delays delivery with SQS `DelaySeconds` (Python never does); the message is the same.
 * - compressed: celeriac does not compress on send (it reads zlib and brotli).
 * - delay-seconds: Python's raw `DelaySeconds=` option also lands in the properties; celeriac has no
 *   pass-through of arbitrary options (its `countdown` sets `DelaySeconds` without touching the message).
 * - message-attributes: celeriac's public send API has no SQS message attributes.
 * - type-tags: a JavaScript Date holds milliseconds and is always aware, so microsecond, naive and non-UTC
 *   datetimes cannot be written as Python wrote them; every other tagged value is compared byte for byte.
 * - protocol-v1: celeriac reads protocol v1 but writes only v2.
 * - warm-shutdown-restore: a worker behaviour (visibility changes), not a message to produce.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/index.js';
import { createMemoryTransport } from '../../src/memory/index.js';
import type { Broker, OutgoingMessage } from '../../src/ports/broker.js';
import { pythonJsonDumps } from '../../src/protocol/python-json.js';
import { argsRepr, kwargsRepr } from '../../src/protocol/python-repr.js';
import { canonicalQueueName } from '../../src/protocol/queue-name.js';
import type { SignatureDict } from '../../src/protocol/signature.js';
import {
  buildTaskMessage,
  decodeTaskMessage,
  encodeTaskMessage,
  type TaskMessage,
} from '../../src/protocol/task-message.js';
import { CalendarDate, Decimal, kombuJsonDumps, TimeOfDay, Uuid } from '../../src/protocol/type-tags.js';
import {
  envelopeText,
  epochSeconds,
  type GoldenSend,
  type GoldenVector,
  loadVector,
  PYTHON_UTC_ISO,
  queueNameOf,
  rawBodyText,
  sentMessages,
  UUID4,
} from './helpers/golden-vectors.js';

/** Replaces the values Celery generated at random or from its clock, leaving every other byte as it is. */
function normalise(envelope: string): string {
  return envelope
    .replace(/"reply_to": "[^"]*"/g, '"reply_to": "<reply_to>"')
    .replace(/"delivery_tag": "[^"]*"/g, '"delivery_tag": "<delivery_tag>"')
    .replace(/"eta": "[^"]*"/g, '"eta": "<eta>"')
    .replace(/"expires": "[^"]*"/g, '"expires": "<expires>"');
}

/** Compares two SQS MessageBodies: the inner task body exactly, then the envelope after {@link normalise}. */
function expectSameMessage(celeriacBody: string, goldenBody: string): void {
  expect(rawBodyText(celeriacBody)).toBe(rawBodyText(goldenBody));
  expect(normalise(envelopeText(celeriacBody))).toBe(normalise(envelopeText(goldenBody)));
}

/** A broker that records what the producer hands it and passes it on to the memory broker. */
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

/**
 * A celeriac client set up like the Python producer of `vector`: same origin, same queue name prefix (read off
 * the golden queue URL), and a clock stopped at the vector's `sent_at`.
 */
function producerLike(vector: GoldenVector) {
  const golden = at(sentMessages(vector), 0);
  const origin = decodeTaskMessage(golden.messageBody).headers.origin;
  const queueName = queueNameOf(golden.queueUrl);
  const prefix = queueName.slice(0, queueName.length - canonicalQueueName(vector.queue).length);
  const nowMs = Math.round(vector.sent_at * 1000);
  const memory = createMemoryTransport({ now: () => nowMs });
  memory.broker.createQueue(canonicalQueueName(vector.queue, prefix));
  const broker = new RecordingBroker(memory.broker);
  const app = createApp({ transport: { ...memory, broker }, origin, queueNamePrefix: prefix });
  return { app, broker, nowMs };
}

/** {@link producerLike} with the fixture app's tasks registered (by the names the Python app uses). */
function clientLike(vector: GoldenVector) {
  const { app, broker, nowMs } = producerLike(vector);
  const add = app.task('tasks.add', (a: number, b: number) => a + b);
  const tsum = app.task('tasks.tsum', (numbers: number[]) => numbers.reduce((x, y) => x + y, 0));
  const boom = app.task('tasks.boom', () => {
    throw new Error('boom');
  });
  const echo = app.task('tasks.echo', (...args: unknown[]) => args);
  return { app, broker, nowMs, tasks: { add, tsum, boom, echo } };
}

/** The one message the client sent, with its queue's SQS name. */
function onlySent(broker: RecordingBroker): { queueName: string; message: OutgoingMessage } {
  expect(broker.sent).toHaveLength(1);
  const { queueUrl, message } = at(broker.sent, 0);
  return { queueName: queueNameOf(queueUrl), message };
}

/** The SQS parameters of an outgoing message, in the SendMessage names the SQS adapter uses. */
function sqsParams(message: OutgoingMessage): Record<string, unknown> {
  return {
    ...(message.delaySeconds === undefined ? {} : { DelaySeconds: message.delaySeconds }),
    ...(message.messageGroupId === undefined ? {} : { MessageGroupId: message.messageGroupId }),
    ...(message.messageDeduplicationId === undefined
      ? {}
      : { MessageDeduplicationId: message.messageDeduplicationId }),
  };
}

/** Checks a client send against the golden SendMessage: same queue, same parameters, same message. */
function expectSameSend(
  sent: { queueName: string; message: OutgoingMessage },
  golden: GoldenSend,
  expectedParams: Record<string, unknown> = golden.sqsParams,
): void {
  expect(sent.queueName).toBe(queueNameOf(golden.queueUrl));
  expect(sqsParams(sent.message)).toEqual(expectedParams);
  expectSameMessage(sent.message.body, golden.messageBody);
}

describe('the client sends the bytes Python Celery sends', () => {
  it('plain-call: add.applyAsync([2, 3])', async () => {
    const vector = loadVector('messages', 'plain-call');
    const { broker, tasks } = clientLike(vector);
    await tasks.add.applyAsync([2, 3], {}, { taskId: pythonTaskIds(vector)[0] });
    expectSameSend(onlySent(broker), at(sentMessages(vector), 0));
  });

  it("send-task: app.sendTask('tasks.add', [2, 3]) for a task the client does not know", async () => {
    const vector = loadVector('messages', 'send-task');
    const { app, broker } = producerLike(vector);
    expect(app.getTask('tasks.add')).toBeUndefined();
    await app.sendTask('tasks.add', [2, 3], {}, { taskId: pythonTaskIds(vector)[0] });
    expectSameSend(onlySent(broker), at(sentMessages(vector), 0));
  });

  it('countdown: the same message (eta 10 s after the send), delivered with DelaySeconds as well', async () => {
    const vector = loadVector('messages', 'countdown');
    const { broker, tasks, nowMs } = clientLike(vector);
    await tasks.add.applyAsync([2, 3], {}, { taskId: pythonTaskIds(vector)[0], countdown: 10 });
    const sent = onlySent(broker);
    // Python never sets DelaySeconds; celeriac delays delivery on standard queues instead of holding the message.
    expectSameSend(sent, at(sentMessages(vector), 0), { DelaySeconds: 10 });
    const eta = decodeTaskMessage(sent.message.body).headers.eta as string;
    expect(eta).toMatch(PYTHON_UTC_ISO);
    expect(epochSeconds(eta)).toBeCloseTo(nowMs / 1000 + 10, 6);
  });

  it('expires: the expires header 60 s after the send and expiration "60000" exactly', async () => {
    const vector = loadVector('messages', 'expires');
    const { broker, tasks, nowMs } = clientLike(vector);
    await tasks.add.applyAsync([2, 3], {}, { taskId: pythonTaskIds(vector)[0], expires: 60 });
    const sent = onlySent(broker);
    expectSameSend(sent, at(sentMessages(vector), 0));
    const expires = decodeTaskMessage(sent.message.body).headers.expires as string;
    expect(expires).toMatch(PYTHON_UTC_ISO);
    expect(epochSeconds(expires)).toBeCloseTo(nowMs / 1000 + 60, 6);
  });

  it('countdown-expires: both headers from one clock reading, 50 s apart', async () => {
    const vector = loadVector('messages', 'countdown-expires');
    const { broker, tasks } = clientLike(vector);
    await tasks.add.applyAsync([2, 3], {}, { taskId: pythonTaskIds(vector)[0], countdown: 10, expires: 60 });
    const sent = onlySent(broker);
    expectSameSend(sent, at(sentMessages(vector), 0), { DelaySeconds: 10 });
    const { headers } = decodeTaskMessage(sent.message.body);
    expect(epochSeconds(headers.expires as string) - epochSeconds(headers.eta as string)).toBeCloseTo(50, 6);
  });

  it('custom-headers: headers appended after Celery’s own', async () => {
    const vector = loadVector('messages', 'custom-headers');
    const { broker, tasks } = clientLike(vector);
    await tasks.add.applyAsync(
      [2, 3],
      {},
      { taskId: pythonTaskIds(vector)[0], headers: { custom: 'x', tenant: 42, nested: { a: [1, 2] } } },
    );
    expectSameSend(onlySent(broker), at(sentMessages(vector), 0));
  });

  it('non-ascii: ensure_ascii escapes and surrogate pairs in args, kwargs, a header and the reprs', async () => {
    const vector = loadVector('messages', 'non-ascii');
    const { broker, tasks } = clientLike(vector);
    await tasks.echo.applyAsync(
      ['café', 'Müller', '中', '🎉', 'say "hi"', 'back\\slash', 'line1\nline2'],
      { naïve: 'ü', emoji: '🎉', quote: "'" },
      { taskId: pythonTaskIds(vector)[0], headers: { note: 'é🎉' } },
    );
    expectSameSend(onlySent(broker), at(sentMessages(vector), 0));
  });

  it('options: priority, [hard, soft] time limits and shadow', async () => {
    const vector = loadVector('messages', 'options');
    const { broker, tasks } = clientLike(vector);
    await tasks.add.applyAsync(
      [1, 1],
      {},
      {
        taskId: pythonTaskIds(vector)[0],
        priority: 5,
        timeLimitSeconds: 30,
        softTimeLimitSeconds: 20,
        shadow: 'alias',
      },
    );
    expectSameSend(onlySent(broker), at(sentMessages(vector), 0));
  });

  it('link-link-error: task.s() signatures in embed.callbacks and embed.errbacks', async () => {
    const vector = loadVector('messages', 'link-link-error');
    const { broker, tasks } = clientLike(vector);
    await tasks.add.applyAsync(
      [2, 3],
      {},
      { taskId: pythonTaskIds(vector)[0], link: tasks.add.s(10), linkError: tasks.tsum.s() },
    );
    expectSameSend(onlySent(broker), at(sentMessages(vector), 0));
  });

  it('fifo: MessageGroupId and MessageDeduplicationId in SendMessage and the properties, or kombu’s defaults', async () => {
    const vector = loadVector('messages', 'fifo');
    const [withIds, withoutIds] = sentMessages(vector) as [GoldenSend, GoldenSend];
    const [firstId, secondId] = pythonTaskIds(vector);
    const { broker, tasks } = clientLike(vector);
    await tasks.add.applyAsync(
      [1, 2],
      {},
      { taskId: firstId, queue: 'jobs.fifo', messageGroupId: 'group-1', messageDeduplicationId: 'dedup-1' },
    );
    await tasks.add.applyAsync([3, 4], {}, { taskId: secondId, queue: 'jobs.fifo' });
    expect(broker.sent).toHaveLength(2);
    const [first, second] = broker.sent.map((s) => ({
      queueName: queueNameOf(s.queueUrl),
      message: s.message,
    }));
    expectSameSend(first as { queueName: string; message: OutgoingMessage }, withIds);
    const defaults = (second as { message: OutgoingMessage }).message;
    expect(defaults.messageGroupId).toBe(withoutIds.sqsParams.MessageGroupId);
    expect(defaults.messageDeduplicationId).toMatch(UUID4);
    expect(withoutIds.sqsParams.MessageDeduplicationId).toMatch(UUID4);
    expectSameMessage(defaults.body, withoutIds.messageBody);
  });

  it('kwargs-only: args [] and argsrepr "()"', async () => {
    const vector = loadVector('messages', 'kwargs-only');
    const { broker, tasks } = clientLike(vector);
    await tasks.add.applyAsync(undefined, { a: 2, b: 3 }, { taskId: pythonTaskIds(vector)[0] });
    expectSameSend(onlySent(broker), at(sentMessages(vector), 0));
  });

  it('no-args: a task without arguments', async () => {
    const vector = loadVector('messages', 'no-args');
    const { broker, tasks } = clientLike(vector);
    await tasks.boom.applyAsync(undefined, undefined, { taskId: pythonTaskIds(vector)[0] });
    expectSameSend(onlySent(broker), at(sentMessages(vector), 0));
  });

  it('ignore-result-header: ignoreResult as a call option', async () => {
    const vector = loadVector('messages', 'ignore-result-header');
    const { broker, tasks } = clientLike(vector);
    await tasks.add.applyAsync([2, 3], {}, { taskId: pythonTaskIds(vector)[0], ignoreResult: true });
    expectSameSend(onlySent(broker), at(sentMessages(vector), 0));
  });
});

describe('type-tags: the values celeriac can represent are written as kombu wrote them', () => {
  const vector = loadVector('messages', 'type-tags');
  const golden = at(sentMessages(vector), 0);
  const pythonBody = JSON.parse(rawBodyText(golden.messageBody)) as [unknown[], Record<string, unknown>];
  const headers = decodeTaskMessage(golden.messageBody).headers;
  const args = [
    new CalendarDate('2024-01-02'),
    new TimeOfDay('01:02:03'),
    new TimeOfDay('01:02:03.456789'),
    new Decimal('1.10'),
    new Uuid('12345678-1234-5678-1234-567812345678'),
    new Uint8Array([0x61, 0x62, 0x63]),
    new Uint8Array([0xff, 0x00]),
  ];
  const kwargs = {
    d: new CalendarDate('2024-01-02'),
    t: new TimeOfDay('01:02:03'),
    dec: new Decimal('1.10'),
    u: new Uuid('12345678-1234-5678-1234-567812345678'),
    b: new Uint8Array([0x61, 0x62, 0x63]),
    bb: new Uint8Array([0xff, 0x00]),
    nested: { list: [new Decimal('0.5'), new CalendarDate('2024-02-29')] },
  };

  it('writes the date, times, decimal, UUID and bytes args tag for tag (args 3 to 9)', () => {
    // pythonJsonDumps reproduces Python's bytes for untagged JSON, so each element's text can be compared.
    expect(pythonJsonDumps(pythonBody)).toBe(rawBodyText(golden.messageBody));
    args.forEach((value, i) => {
      expect(kombuJsonDumps(value)).toBe(pythonJsonDumps(pythonBody[0][i + 3]));
    });
  });

  it('writes the same kwargs (all but the two datetimes) tag for tag', () => {
    for (const [key, value] of Object.entries(kwargs)) {
      expect(kombuJsonDumps(value)).toBe(pythonJsonDumps(pythonBody[1][key]));
    }
  });

  it('writes the same argsrepr/kwargsrepr text for those values', () => {
    const argsTail = headers.argsrepr.slice(headers.argsrepr.indexOf('datetime.date('));
    expect(argsRepr(args).slice(1)).toBe(argsTail);
    const kwargsTail = headers.kwargsrepr.slice(headers.kwargsrepr.indexOf("'d': "));
    expect(kwargsRepr(kwargs).slice(1)).toBe(kwargsTail);
  });

  it('writes a +02:00 datetime as the same instant in UTC (a Date keeps no offset)', () => {
    const python = pythonBody[0][2] as { __value__: string };
    expect(python.__value__).toBe('2024-01-02T03:04:05.123000+02:00');
    const celeriac = JSON.parse(kombuJsonDumps(new Date('2024-01-02T01:04:05.123Z'))) as {
      __value__: string;
    };
    expect(celeriac.__value__).toBe('2024-01-02T01:04:05.123000+00:00');
    expect(epochSeconds(celeriac.__value__)).toBe(epochSeconds(python.__value__));
  });
});

/** Rebuilds a golden message with buildTaskMessage from its decoded fields, plus the given inputs. */
function rebuild(golden: TaskMessage, inputs: Partial<Parameters<typeof buildTaskMessage>[0]> = {}): string {
  const { headers, properties } = golden;
  return encodeTaskMessage(
    buildTaskMessage({
      taskId: headers.id,
      name: headers.task,
      queue: properties.delivery_info?.routing_key ?? 'celery',
      args: golden.args,
      kwargs: golden.kwargs,
      origin: headers.origin,
      replyTo: properties.reply_to as string,
      deliveryTag: properties.delivery_tag as string,
      ...inputs,
    }),
  );
}

describe('protocol-level rebuilds of what workers and canvases send', () => {
  it('group: members with group and group_index', () => {
    const vector = loadVector('messages', 'group');
    for (const golden of sentMessages(vector)) {
      const message = decodeTaskMessage(golden.messageBody);
      const body = rebuild(message, {
        group: message.headers.group,
        groupIndex: message.headers.group_index,
      });
      expect(body).toBe(golden.messageBody);
    }
  });

  it('chain: the first message with the reversed steps, and each follow-up', () => {
    const vector = loadVector('messages', 'chain');
    for (const golden of sentMessages(vector)) {
      const message = decodeTaskMessage(golden.messageBody);
      const body = rebuild(message, {
        rootId: message.headers.root_id,
        parentId: message.headers.parent_id,
        chain: message.embed.chain as SignatureDict[],
      });
      expect(body).toBe(golden.messageBody);
    }
  });

  it('chord: header tasks with the body embedded, and the body with the joined results', () => {
    const vector = loadVector('messages', 'chord');
    for (const golden of sentMessages(vector)) {
      const message = decodeTaskMessage(golden.messageBody);
      const body = rebuild(message, {
        group: message.headers.group,
        groupIndex: message.headers.group_index,
        rootId: message.headers.root_id,
        parentId: message.headers.parent_id,
        chord: message.embed.chord,
      });
      expect(body).toBe(golden.messageBody);
    }
  });

  it('retry: same id, retries + 1, parent itself, and origin copied into the properties', () => {
    const vector = loadVector('messages', 'retry');
    const [, ...retries] = sentMessages(vector);
    expect(retries).toHaveLength(2);
    for (const golden of retries) {
      const message = decodeTaskMessage(golden.messageBody);
      const body = rebuild(message, {
        eta: new Date(Math.round(epochSeconds(message.headers.eta as string) * 1000)),
        retries: message.headers.retries,
        rootId: message.headers.root_id,
        parentId: message.headers.parent_id,
        extraProperties: { origin: message.headers.origin },
      });
      // The eta is written from a millisecond Date; everything else is byte for byte.
      expectSameMessage(body, golden.messageBody);
    }
  });

  it('stamped: stamped_headers lists the stamps (no client API for stamps yet)', () => {
    const golden = at(sentMessages(loadVector('messages', 'stamped')), 0);
    const message = decodeTaskMessage(golden.messageBody);
    expect(rebuild(message, { stamps: { monitoring_id: 'mon-1' } })).toBe(golden.messageBody);
  });

  it('plain-json-body: the envelope JSON as the MessageBody (sqs_base64_encoding=False)', () => {
    const golden = at(sentMessages(loadVector('messages', 'plain-json-body')), 0);
    const message = decodeTaskMessage(golden.messageBody);
    const body = encodeTaskMessage(
      buildTaskMessage({
        taskId: message.headers.id,
        name: message.headers.task,
        queue: 'celery',
        args: message.args,
        origin: message.headers.origin,
        replyTo: message.properties.reply_to as string,
        deliveryTag: message.properties.delivery_tag as string,
      }),
      { base64: false },
    );
    expect(body).toBe(golden.messageBody);
  });
});
