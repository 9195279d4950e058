/**
 * Decodes every message in `test/golden/messages/*.json` (producer sends and the worker's follow-ups: chain
 * steps, the chord body, retries) with celeriac's `decodeTaskMessage`, and checks what each vector is about.
 * Expected values come from the vector's own `python` code and Celery's documented semantics
 * (Celery's protocol documentation and its source: `celery/app/amqp.py`, `celery/canvas.py`, kombu's
 * `kombu/transport/SQS.py`), never from celeriac's output.
 */
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { argsRepr, kwargsRepr } from '../../src/protocol/python-repr.js';
import { canonicalQueueName } from '../../src/protocol/queue-name.js';
import type { SignatureDict } from '../../src/protocol/signature.js';
import { decodeTaskMessage, type TaskMessage } from '../../src/protocol/task-message.js';
import { CalendarDate, Decimal, TimeOfDay, Uuid } from '../../src/protocol/type-tags.js';
import {
  CAPTURE_PREFIXES,
  CELERY_HEADER_ORDER,
  epochSeconds,
  type GoldenSend,
  type GoldenVector,
  loadVector,
  loadVectors,
  PYTHON_UTC_ISO,
  queueNameOf,
  type RawEnvelope,
  rawBodyBytes,
  rawBodyText,
  rawEnvelope,
  sentMessages,
  UUID4,
} from './helpers/golden-vectors.js';

interface Decoded {
  readonly send: GoldenSend;
  readonly raw: RawEnvelope;
  readonly message: TaskMessage;
}

function decodeVector(vector: GoldenVector): Decoded[] {
  return sentMessages(vector).map((send) => ({
    send,
    raw: rawEnvelope(send.messageBody),
    message: decodeTaskMessage(send.messageBody),
  }));
}

/** The `task_id='...'` values in the vector's Python code, in order. */
function pythonTaskIds(vector: GoldenVector): string[] {
  return [...vector.python.matchAll(/task_id='([^']+)'/g)].map((match) => match[1] as string);
}

function at<T>(list: readonly T[], index: number): T {
  const item = list[index];
  if (item === undefined) throw new Error(`expected an element at index ${index} of ${list.length}`);
  return item;
}

/** Seconds from the vector's `sent_at` to an ISO header value. */
function offsetFromSend(vector: GoldenVector, iso: unknown): number {
  if (typeof iso !== 'string') throw new Error(`expected an ISO time, got ${JSON.stringify(iso)}`);
  expect(iso).toMatch(PYTHON_UTC_ISO);
  return epochSeconds(iso) - vector.sent_at;
}

/** A plain task signature as Celery's `Signature.__init__` writes it. */
function signature(task: string, args: unknown[], options: Record<string, unknown> = {}): SignatureDict {
  return { task, args, kwargs: {}, options, subtask_type: null, immutable: false };
}

const EMPTY_EMBED = { callbacks: null, errbacks: null, chain: null, chord: null };
const EMPTY_EMBED_JSON = '{"callbacks": null, "errbacks": null, "chain": null, "chord": null}';
const STANDARD_PROPERTIES = [
  'correlation_id',
  'reply_to',
  'delivery_mode',
  'delivery_info',
  'priority',
  'body_encoding',
  'delivery_tag',
];

/** A top-level send's headers that every plain vector shares. */
function topLevelHeaders(id: string, task: string): Record<string, unknown> {
  return {
    lang: 'py',
    task,
    id,
    shadow: null,
    eta: null,
    expires: null,
    group: null,
    group_index: null,
    retries: 0,
    timelimit: [null, null],
    root_id: id,
    parent_id: null,
    ignore_result: false,
    replaced_task_nesting: 0,
    stamped_headers: null,
    stamps: {},
  };
}

const covered = new Set<string>();

/** Declares the expectations of one golden vector. */
function describeVector(name: string, body: (vector: GoldenVector, decoded: Decoded[]) => void): void {
  covered.add(name);
  const vector = loadVector('messages', name);
  describe(`golden ${name}: ${vector.description}`, () => body(vector, decodeVector(vector)));
}

const vectors = loadVectors('messages');
// The producer sends of the result vectors are decoded too.
const everyMessage = [...vectors, ...loadVectors('results')].flatMap((vector) =>
  sentMessages(vector).map((send, index) => ({ vector, send, index })),
);

describe('every golden message', () => {
  it('is covered by vector-specific expectations below', () => {
    expect([...covered].sort()).toEqual(vectors.map((v) => v.vector).sort());
    expect(everyMessage.length).toBeGreaterThanOrEqual(45);
  });

  it.each(everyMessage.map((m) => [`${m.vector.vector} #${m.index}`, m] as const))(
    '%s decodes with the Celery invariants of its envelope',
    (_name, { vector, send }) => {
      const message = decodeTaskMessage(send.messageBody);
      const raw = rawEnvelope(send.messageBody);
      expect(raw['content-type']).toBe('application/json');
      expect(raw['content-encoding']).toBe('utf-8');
      expect(Object.keys(raw)).toEqual(['body', 'content-encoding', 'content-type', 'headers', 'properties']);
      expect(message.properties.correlation_id).toBe(message.headers.id);
      expect(message.properties.delivery_mode).toBe(2);
      expect(message.properties.body_encoding).toBe('base64');
      expect(message.properties.delivery_info).toEqual({ exchange: '', routing_key: vector.queue });
      expect(message.properties.reply_to).toMatch(/^[0-9a-f-]{36}$/);
      expect(message.properties.delivery_tag).toMatch(UUID4);
      expect(CAPTURE_PREFIXES.map((prefix) => canonicalQueueName(vector.queue, prefix))).toContain(
        queueNameOf(send.queueUrl),
      );
      if (message.protocol === 2) {
        expect(Object.keys(raw.headers).slice(0, CELERY_HEADER_ORDER.length)).toEqual([
          ...CELERY_HEADER_ORDER,
        ]);
        expect(message.headers.task).toBe(raw.headers.task);
        expect(message.headers.id).toBe(raw.headers.id);
        expect(message.headers.argsrepr).toBe(raw.headers.argsrepr);
        expect(message.headers.kwargsrepr).toBe(raw.headers.kwargsrepr);
        expect(message.headers.origin).toMatch(/^gen\d+@\S+$/);
        expect(message.headers.root_id).toEqual(expect.any(String));
      }
    },
  );

  // celeriac's saferepr of the decoded values must give Python's headers back. `type-tags` and `echo-type-tags`
  // are left out: their naive and +02:00 datetimes and microseconds do not survive as a JavaScript Date
  // (millisecond precision, always aware), so their repr differs by design
  // (test/interop/saferepr-oracle.test.ts covers those types against Python); protocol v1 has no argsrepr.
  const lossy = new Set(['type-tags', 'echo-type-tags', 'protocol-v1']);
  const reprable = everyMessage.filter((m) => !lossy.has(m.vector.vector));
  it.each(reprable.map((m) => [`${m.vector.vector} #${m.index}`, m] as const))(
    '%s: argsRepr/kwargsRepr of the decoded arguments equal the argsrepr/kwargsrepr Python wrote',
    (_name, { send }) => {
      const message = decodeTaskMessage(send.messageBody);
      expect(argsRepr(message.args)).toBe(message.headers.argsrepr);
      expect(kwargsRepr(message.kwargs)).toBe(message.headers.kwargsrepr);
    },
  );
});

describeVector('plain-call', (vector, decoded) => {
  const [id] = pythonTaskIds(vector);
  const { send, raw, message } = at(decoded, 0);

  it('is a single SendMessage with no SQS parameter but QueueUrl and MessageBody', () => {
    expect(decoded).toHaveLength(1);
    expect(send.operation).toBe('SendMessage');
    expect(send.sqsParams).toEqual({});
  });

  it('decodes as protocol v2 tasks.add(2, 3) with a top-level root and no parent', () => {
    expect(message.protocol).toBe(2);
    expect(message.headers).toMatchObject({
      ...topLevelHeaders(id as string, 'tasks.add'),
      argsrepr: '(2, 3)',
      kwargsrepr: '{}',
    });
    expect(message.args).toEqual([2, 3]);
    expect(message.kwargs).toEqual({});
    expect(message.embed).toEqual(EMPTY_EMBED);
  });

  it("keeps kombu's property order and carries no expiration", () => {
    expect(Object.keys(raw.properties)).toEqual(STANDARD_PROPERTIES);
    expect(message.properties.priority).toBe(0);
    expect(message.properties).not.toHaveProperty('expiration');
  });

  it('has the inner body [args, kwargs, embed] with all four embed keys null', () => {
    expect(rawBodyText(send.messageBody)).toBe(`[[2, 3], {}, ${EMPTY_EMBED_JSON}]`);
  });
});

describeVector('send-task', (vector, decoded) => {
  it('is the same message as a call through the task object: send_task leaves no trace of itself', () => {
    const [id] = pythonTaskIds(vector);
    const { message, send } = at(decoded, 0);
    expect(decoded).toHaveLength(1);
    expect(message.headers).toMatchObject({
      ...topLevelHeaders(id as string, 'tasks.add'),
      argsrepr: '(2, 3)',
    });
    expect(message.args).toEqual([2, 3]);
    expect(rawBodyText(send.messageBody)).toBe(`[[2, 3], {}, ${EMPTY_EMBED_JSON}]`);
  });
});

describeVector('countdown', (vector, decoded) => {
  const { message, send } = at(decoded, 0);

  it('puts the ETA in the eta header, 10 s after the send, as an aware UTC ISO time', () => {
    const offset = offsetFromSend(vector, message.headers.eta);
    expect(offset).toBeGreaterThan(10 - 0.001);
    expect(offset).toBeLessThan(11);
    expect(message.headers.expires).toBeNull();
  });

  it('does not use SQS DelaySeconds and sets no expiration', () => {
    expect(send.sqsParams).toEqual({});
    expect(message.properties).not.toHaveProperty('expiration');
  });
});

describeVector('expires', (vector, decoded) => {
  const { message, raw } = at(decoded, 0);

  it('puts expiry in the expires header, 60 s after the send', () => {
    const offset = offsetFromSend(vector, message.headers.expires);
    expect(offset).toBeGreaterThan(60 - 0.001);
    expect(offset).toBeLessThan(61);
    expect(message.headers.eta).toBeNull();
  });

  it('adds the expiration property in milliseconds, as text, right after delivery_mode', () => {
    expect(message.properties.expiration).toBe('60000');
    const keys = Object.keys(raw.properties);
    expect(keys.indexOf('expiration')).toBe(keys.indexOf('delivery_mode') + 1);
  });
});

describeVector('countdown-expires', (vector, decoded) => {
  const { message } = at(decoded, 0);

  it('computes eta and expires from the same instant: exactly 50 s apart', () => {
    const eta = offsetFromSend(vector, message.headers.eta);
    const expires = offsetFromSend(vector, message.headers.expires);
    expect(eta).toBeGreaterThan(10 - 0.001);
    expect(eta).toBeLessThan(11);
    expect(expires - eta).toBeCloseTo(50, 6);
    expect(message.properties.expiration).toBe('60000');
  });
});

describeVector('custom-headers', (_vector, decoded) => {
  const { message, raw } = at(decoded, 0);

  it("appends the custom headers after Celery's own, values intact", () => {
    expect(Object.keys(raw.headers)).toEqual([...CELERY_HEADER_ORDER, 'custom', 'tenant', 'nested']);
    expect(message.headers.custom).toBe('x');
    expect(message.headers.tenant).toBe(42);
    expect(message.headers.nested).toEqual({ a: [1, 2] });
  });
});

describeVector('type-tags', (_vector, decoded) => {
  const { message, send } = at(decoded, 0);

  it('decodes every kombu type tag in args into the JavaScript value types', () => {
    expect(message.args).toStrictEqual([
      // datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=utc): a Date holds milliseconds, so the 6 µs are dropped.
      new Date('2024-01-02T03:04:05.000Z'),
      // A naive datetime is read as UTC, as Celery reads naive times.
      new Date('2024-01-02T03:04:05.000Z'),
      // 03:04:05.123 at +02:00 is 01:04:05.123 UTC.
      new Date('2024-01-02T01:04:05.123Z'),
      new CalendarDate('2024-01-02'),
      new TimeOfDay('01:02:03'),
      new TimeOfDay('01:02:03.456789'),
      new Decimal('1.10'),
      new Uuid('12345678-1234-5678-1234-567812345678'),
      new Uint8Array([0x61, 0x62, 0x63]),
      new Uint8Array([0xff, 0x00]),
    ]);
  });

  it('decodes the same tags in kwargs, nested ones included', () => {
    expect(message.kwargs).toStrictEqual({
      dt: new Date('2024-01-02T03:04:05.000Z'),
      naive: new Date('2024-01-02T00:00:00.000Z'),
      d: new CalendarDate('2024-01-02'),
      t: new TimeOfDay('01:02:03'),
      dec: new Decimal('1.10'),
      u: new Uuid('12345678-1234-5678-1234-567812345678'),
      b: new Uint8Array([0x61, 0x62, 0x63]),
      bb: new Uint8Array([0xff, 0x00]),
      nested: { list: [new Decimal('0.5'), new CalendarDate('2024-02-29')] },
    });
  });

  it('keeps the exact text of decimals and times, which a number or a Date would lose', () => {
    const body = rawBodyText(send.messageBody);
    expect(body).toContain('{"__type__": "decimal", "__value__": "1.10"}');
    expect(body).toContain('{"__type__": "time", "__value__": "01:02:03.456789"}');
    expect((message.kwargs.dec as Decimal).value).toBe('1.10');
  });
});

describeVector('non-ascii', (_vector, decoded) => {
  const { message, send } = at(decoded, 0);

  it('decodes non-ASCII, astral, quote, backslash and newline characters in args, kwargs and a header', () => {
    expect(message.args).toEqual(['café', 'Müller', '中', '🎉', 'say "hi"', 'back\\slash', 'line1\nline2']);
    expect(message.kwargs).toEqual({ naïve: 'ü', emoji: '🎉', quote: "'" });
    expect(message.headers.note).toBe('é🎉');
  });

  it('was written with ensure_ascii: the envelope is pure ASCII with surrogate-pair escapes', () => {
    const envelopeJson = Buffer.from(send.messageBody, 'base64').toString('utf8');
    expect(/^[\x20-\x7e]*$/.test(envelopeJson)).toBe(true);
    expect(envelopeJson).toContain('"note": "\\u00e9\\ud83c\\udf89"');
  });

  it("has saferepr's single-quoted strings with only the quote escaped", () => {
    expect(message.headers.argsrepr).toBe(
      "('café', 'Müller', '中', '🎉', 'say \"hi\"', 'back\\slash', 'line1\nline2')",
    );
    expect(message.headers.kwargsrepr).toBe("{'naïve': 'ü', 'emoji': '🎉', 'quote': '\\''}");
  });
});

describeVector('options', (_vector, decoded) => {
  const { message } = at(decoded, 0);

  it('writes timelimit as [hard, soft] = [time_limit, soft_time_limit]', () => {
    expect(message.headers.timelimit).toEqual([30, 20]);
  });

  it('carries shadow in the header and priority in the properties', () => {
    expect(message.headers.shadow).toBe('alias');
    expect(message.headers.task).toBe('tasks.add');
    expect(message.properties.priority).toBe(5);
    expect(message.args).toEqual([1, 1]);
  });
});

describeVector('link-link-error', (_vector, decoded) => {
  const { message } = at(decoded, 0);

  it('puts link in embed.callbacks and link_error in embed.errbacks as signature dicts', () => {
    expect(message.embed).toEqual({
      callbacks: [signature('tasks.add', [10])],
      errbacks: [signature('tasks.tsum', [])],
      chain: null,
      chord: null,
    });
  });
});

describeVector('fifo', (vector, decoded) => {
  const [firstId, secondId] = pythonTaskIds(vector);
  const [first, second] = [at(decoded, 0), at(decoded, 1)];

  it('sends to the .fifo queue kombu names (prefix kept, .fifo suffix kept)', () => {
    expect(decoded).toHaveLength(2);
    expect(queueNameOf(first.send.queueUrl)).toBe(canonicalQueueName('jobs.fifo', 'golden-p-'));
    expect(first.message.properties.delivery_info?.routing_key).toBe('jobs.fifo');
  });

  it('passes MessageGroupId and MessageDeduplicationId to SendMessage and keeps them in the properties', () => {
    expect(first.message.headers.id).toBe(firstId);
    expect(first.send.sqsParams).toEqual({ MessageGroupId: 'group-1', MessageDeduplicationId: 'dedup-1' });
    expect(first.message.properties.MessageGroupId).toBe('group-1');
    expect(first.message.properties.MessageDeduplicationId).toBe('dedup-1');
    expect(Object.keys(first.raw.properties).slice(0, 4)).toEqual([
      'correlation_id',
      'reply_to',
      'MessageGroupId',
      'MessageDeduplicationId',
    ]);
  });

  it("fills kombu's defaults when none are given: group 'default' and a random uuid4 deduplication id", () => {
    expect(second.message.headers.id).toBe(secondId);
    expect(second.send.sqsParams.MessageGroupId).toBe('default');
    expect(second.send.sqsParams.MessageDeduplicationId).toMatch(UUID4);
    expect(Object.keys(second.raw.properties)).toEqual(STANDARD_PROPERTIES);
  });
});

describeVector('delay-seconds', (_vector, decoded) => {
  const { message, send } = at(decoded, 0);

  it('forwards DelaySeconds to SendMessage and leaves it in the properties, without an eta header', () => {
    expect(send.sqsParams).toEqual({ DelaySeconds: 5 });
    expect(message.properties.DelaySeconds).toBe(5);
    expect(message.headers.eta).toBeNull();
  });
});

describeVector('group', (_vector, decoded) => {
  it('sends one message per member with the same group id and the member index', () => {
    expect(decoded).toHaveLength(2);
    const [a, b] = decoded.map((d) => d.message) as [TaskMessage, TaskMessage];
    expect(a.headers.group).toMatch(UUID4);
    expect(b.headers.group).toBe(a.headers.group);
    expect([a.headers.group_index, b.headers.group_index]).toEqual([0, 1]);
    expect([a.args, b.args]).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('makes each member its own root, with no parent and no embedded workflow', () => {
    for (const { message } of decoded) {
      expect(message.headers.root_id).toBe(message.headers.id);
      expect(message.headers.parent_id).toBeNull();
      expect(message.embed).toEqual(EMPTY_EMBED);
    }
  });
});

describeVector('compressed', (_vector, decoded) => {
  const { message, send } = at(decoded, 0);

  it('marks zlib with the compression header application/x-gzip, appended last', () => {
    expect(message.headers.compression).toBe('application/x-gzip');
    expect(Object.keys(rawEnvelope(send.messageBody).headers).at(-1)).toBe('compression');
  });

  it('decompresses the zlib stream (not gzip) to the usual body', () => {
    const bytes = rawBodyBytes(send.messageBody);
    expect(bytes[0]).toBe(0x78);
    expect(inflateSync(bytes).toString('utf8')).toBe(`[[2, 3], {}, ${EMPTY_EMBED_JSON}]`);
    expect(message.args).toEqual([2, 3]);
    expect(message.embed).toEqual(EMPTY_EMBED);
  });
});

describeVector('stamped', (_vector, decoded) => {
  it('lists the stamp names in stamped_headers and their values in stamps', () => {
    const { message } = at(decoded, 0);
    expect(message.headers.stamped_headers).toEqual(['monitoring_id']);
    expect(message.headers.stamps).toEqual({ monitoring_id: 'mon-1' });
  });
});

describeVector('kwargs-only', (_vector, decoded) => {
  it("sends args [] (argsrepr '()') and the keyword arguments", () => {
    const { message, send } = at(decoded, 0);
    expect(message.args).toEqual([]);
    expect(message.kwargs).toEqual({ a: 2, b: 3 });
    expect(message.headers.argsrepr).toBe('()');
    expect(message.headers.kwargsrepr).toBe("{'a': 2, 'b': 3}");
    expect(rawBodyText(send.messageBody)).toBe(`[[], {"a": 2, "b": 3}, ${EMPTY_EMBED_JSON}]`);
  });
});

describeVector('no-args', (vector, decoded) => {
  it('sends empty args and kwargs for a task without arguments', () => {
    const [id] = pythonTaskIds(vector);
    const { message } = at(decoded, 0);
    expect(message.headers).toMatchObject({
      ...topLevelHeaders(id as string, 'tasks.boom'),
      argsrepr: '()',
      kwargsrepr: '{}',
    });
    expect(message.args).toEqual([]);
    expect(message.kwargs).toEqual({});
  });
});

describeVector('ignore-result-header', (_vector, decoded) => {
  it('sets the ignore_result header to true', () => {
    const { message, raw } = at(decoded, 0);
    expect(message.headers.ignore_result).toBe(true);
    expect(raw.headers.ignore_result).toBe(true);
  });
});

describeVector('message-attributes', (_vector, decoded) => {
  const { message, send, raw } = at(decoded, 0);

  it('sends message_attributes as SQS MessageAttributes', () => {
    expect(send.sqsParams).toEqual({
      MessageAttributes: {
        tenant: { DataType: 'String', StringValue: 'acme' },
        attempt: { DataType: 'Number', StringValue: '1' },
      },
    });
  });

  it('pops them from the serialized properties', () => {
    expect(Object.keys(raw.properties)).toEqual(STANDARD_PROPERTIES);
    expect(message.properties).not.toHaveProperty('message_attributes');
  });
});

describeVector('plain-json-body', (_vector, decoded) => {
  const { message, send } = at(decoded, 0);

  it('has a MessageBody that is the envelope JSON itself (sqs_base64_encoding=False)', () => {
    expect(send.messageBody.startsWith('{"body": "')).toBe(true);
    expect(message.headers.task).toBe('tasks.add');
    expect(message.args).toEqual([2, 3]);
  });

  it('still base64-encodes the inner body', () => {
    expect(message.properties.body_encoding).toBe('base64');
    expect(rawBodyText(send.messageBody)).toBe(`[[2, 3], {}, ${EMPTY_EMBED_JSON}]`);
  });
});

describeVector('protocol-v1', (vector, decoded) => {
  const [firstId, secondId] = pythonTaskIds(vector);
  const [plain, full] = [at(decoded, 0), at(decoded, 1)];

  it('has empty headers and every field in the body object, in as_task_v1 order', () => {
    expect(plain.raw.headers).toEqual({});
    expect(Object.keys(JSON.parse(rawBodyText(plain.send.messageBody)) as object)).toEqual([
      'task',
      'id',
      'args',
      'kwargs',
      'group',
      'group_index',
      'retries',
      'eta',
      'expires',
      'utc',
      'callbacks',
      'errbacks',
      'timelimit',
      'taskset',
      'chord',
    ]);
  });

  it('decodes a plain v1 call as protocol 1 with the task, id and arguments', () => {
    expect(plain.message.protocol).toBe(1);
    expect(plain.message.headers).toMatchObject({
      task: 'tasks.add',
      id: firstId,
      eta: null,
      expires: null,
      group: null,
      retries: 0,
      timelimit: [null, null],
    });
    expect(plain.message.args).toEqual([2, 3]);
    expect(plain.message.kwargs).toEqual({});
    expect(plain.message.embed).toEqual(EMPTY_EMBED);
  });

  it('decodes eta, expires, callbacks and errbacks of a v1 call, with no chain (v1 has none)', () => {
    expect(full.message.protocol).toBe(1);
    expect(full.message.headers.id).toBe(secondId);
    const eta = offsetFromSend(vector, full.message.headers.eta);
    const expires = offsetFromSend(vector, full.message.headers.expires);
    expect(eta).toBeGreaterThan(10 - 0.001);
    expect(eta).toBeLessThan(11);
    expect(expires - eta).toBeCloseTo(50, 6);
    expect(full.message.properties.expiration).toBe('60000');
    expect(full.message.embed).toEqual({
      callbacks: [signature('tasks.add', [10])],
      errbacks: [signature('tasks.tsum', [])],
      chain: null,
      chord: null,
    });
  });
});

describeVector('chain', (_vector, decoded) => {
  it('sends the first step, then the worker sends each next step', () => {
    expect(decoded.map((d) => [d.message.headers.task, d.message.args])).toEqual([
      ['tasks.add', [1, 2]],
      ['tasks.add', [3, 3]],
      ['tasks.add', [6, 4]],
    ]);
  });

  it('embeds the remaining steps reversed: the next step to run is the last element', () => {
    const first = at(decoded, 0).message;
    const replyTo = first.properties.reply_to;
    const chain = first.embed.chain ?? [];
    expect(chain).toHaveLength(2);
    const [stepThree, stepTwo] = chain as [SignatureDict, SignatureDict];
    expect(stepTwo).toEqual(
      signature('tasks.add', [3], { task_id: stepTwo.options.task_id, reply_to: replyTo }),
    );
    expect(stepThree).toEqual(
      signature('tasks.add', [4], { task_id: stepThree.options.task_id, reply_to: replyTo }),
    );
    expect(stepTwo.options.task_id).toMatch(UUID4);
    expect(stepThree.options.task_id).toMatch(UUID4);
  });

  it('gives each follow-up the pre-assigned id, the parent result prepended, the parent and the root', () => {
    const [first, second, third] = decoded.map((d) => d.message) as [TaskMessage, TaskMessage, TaskMessage];
    const [stepThree, stepTwo] = first.embed.chain as [SignatureDict, SignatureDict];
    expect(second.headers).toMatchObject({
      id: stepTwo.options.task_id,
      root_id: first.headers.id,
      parent_id: first.headers.id,
    });
    expect(second.embed.chain).toEqual([stepThree]);
    expect(third.headers).toMatchObject({
      id: stepThree.options.task_id,
      root_id: first.headers.id,
      parent_id: second.headers.id,
    });
    // The last step gets an empty list, not null.
    expect(third.embed.chain).toEqual([]);
  });
});

describeVector('chord', (_vector, decoded) => {
  const [h0, h1, body] = decoded.map((d) => d.message) as [TaskMessage, TaskMessage, TaskMessage];

  it('sends the header tasks as a group, each with the chord body embedded', () => {
    expect(decoded).toHaveLength(3);
    expect([h0.args, h1.args]).toEqual([
      [1, 1],
      [2, 2],
    ]);
    const groupId = h0.headers.group;
    expect(groupId).toMatch(UUID4);
    expect(h1.headers.group).toBe(groupId);
    expect([h0.headers.group_index, h1.headers.group_index]).toEqual([0, 1]);
    const chord = h0.embed.chord as SignatureDict;
    expect(chord).toEqual(
      signature('tasks.tsum', [], {
        task_id: chord.options.task_id,
        reply_to: h0.properties.reply_to,
        group_id: groupId,
      }),
    );
    expect(h1.embed.chord).toEqual(chord);
    for (const header of [h0, h1]) {
      expect(header.headers.root_id).toBe(header.headers.id);
      expect(header.headers.parent_id).toBeNull();
    }
  });

  it('has the worker send the body with the header results in group order, under the pre-assigned id', () => {
    const chord = h0.embed.chord as SignatureDict;
    expect(body.headers).toMatchObject({
      task: 'tasks.tsum',
      id: chord.options.task_id,
      group: h0.headers.group,
      group_index: null,
      argsrepr: '([2, 4],)',
    });
    expect(body.args).toEqual([[2, 4]]);
    expect(body.embed).toEqual(EMPTY_EMBED);
    // The body's parent is the header task that completed the chord; its root is that task's root.
    expect([h0.headers.id, h1.headers.id]).toContain(body.headers.parent_id);
    expect(body.headers.root_id).toBe(body.headers.parent_id);
  });
});

describeVector('retry', (vector, decoded) => {
  const [id] = pythonTaskIds(vector);
  const [original, retry1, retry2] = decoded.map((d) => d.message) as [TaskMessage, TaskMessage, TaskMessage];

  it('sends the same task id again for each retry, with retries counting up', () => {
    expect(decoded).toHaveLength(3);
    for (const message of [original, retry1, retry2]) {
      expect(message.headers.id).toBe(id);
      expect(message.headers.task).toBe('tasks.flaky');
      expect(message.headers.root_id).toBe(id);
    }
    expect([original.headers.retries, retry1.headers.retries, retry2.headers.retries]).toEqual([0, 1, 2]);
  });

  it('sets the eta countdown=5 s after each run and the task itself as the parent', () => {
    expect(original.headers.eta).toBeNull();
    expect(original.headers.parent_id).toBeNull();
    const eta1 = offsetFromSend(vector, retry1.headers.eta);
    const eta2 = offsetFromSend(vector, retry2.headers.eta);
    expect(eta1).toBeGreaterThan(5);
    expect(eta1).toBeLessThan(6.5);
    expect(eta2 - eta1).toBeGreaterThan(5);
    expect(eta2 - eta1).toBeLessThan(6.5);
    expect(retry1.headers.parent_id).toBe(id);
    expect(retry2.headers.parent_id).toBe(id);
  });

  it("copies the original origin into the retry message's properties, after reply_to", () => {
    expect(original.properties).not.toHaveProperty('origin');
    for (const [index, message] of [retry1, retry2].entries()) {
      expect(message.properties.origin).toBe(original.headers.origin);
      expect(message.headers.origin).toBe(original.headers.origin);
      const keys = Object.keys(at(decoded, index + 1).raw.properties);
      expect(keys.slice(0, 3)).toEqual(['correlation_id', 'reply_to', 'origin']);
    }
  });
});

describeVector('warm-shutdown-restore', (vector, decoded) => {
  it('sends one countdown=60 message', () => {
    expect(decoded).toHaveLength(1);
    const offset = offsetFromSend(vector, at(decoded, 0).message.headers.eta);
    expect(offset).toBeGreaterThan(60 - 0.001);
    expect(offset).toBeLessThan(61);
  });

  it('restores held messages on warm shutdown with ChangeMessageVisibility, never by sending again', () => {
    const restores = vector.calls.filter((c) => c.operation === 'ChangeMessageVisibility');
    expect(restores.length).toBeGreaterThanOrEqual(1);
    for (const call of restores) {
      expect(call.params.VisibilityTimeout).toBe(1);
      expect(call.params.ReceiptHandle).toEqual(expect.any(String));
    }
    expect(vector.calls.filter((c) => c.operation === 'DeleteMessage')).toHaveLength(0);
  });
});
