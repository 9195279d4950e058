/**
 * Generators for the fuzz suite: valid values of each wire format (for the round trips), and hostile ones built
 * from the same parts with pieces replaced by noise, so that generated input reaches every layer of a decoder
 * instead of failing at the first.
 */
import { brotliCompressSync, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { base64Encode } from '../../src/protocol/envelope.js';
import { type JsonValue, pythonJsonDumps } from '../../src/protocol/python-json.js';
import { type SignatureDict, signatureDict } from '../../src/protocol/signature.js';
import { TaskState } from '../../src/protocol/states.js';
import type { TaskMessageInput } from '../../src/protocol/task-message.js';
import { CalendarDate, Decimal, TimeOfDay, toTaggedJson, Uuid } from '../../src/protocol/type-tags.js';

/** Keys that name members of `Object.prototype`, mixed into every generated object. */
export const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'isAdmin',
] as const;

/** An object with exactly these entries, each an own data property (even `__proto__`), as `JSON.parse` makes. */
export function objectFrom<T>(entries: readonly (readonly [string, T])[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  }
  return out;
}

/** Strings of any UTF-16 code units, lone surrogates included. */
export const anyString = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({
    unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
    maxLength: 8,
  }),
);

/** Object keys: any string, often one of {@link HOSTILE_KEYS}; never a type-tag key, which changes meaning. */
export const objectKey = fc
  .oneof(anyString, fc.constantFrom(...HOSTILE_KEYS))
  .filter((key) => key !== '__type__' && key !== '__value__');

/** Objects of `value`s under {@link objectKey}s. */
export function objectOf<T>(value: fc.Arbitrary<T>, maxKeys = 4): fc.Arbitrary<Record<string, T>> {
  return fc
    .uniqueArray(fc.tuple(objectKey, value), { maxLength: maxKeys, selector: ([key]) => key })
    .map(objectFrom);
}

const pythonDate = fc.date({
  min: new Date('0001-01-01T00:00:00.000Z'),
  max: new Date('9999-12-31T23:59:59.999Z'),
  noInvalidDate: true,
});

const scalarValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.double(),
  anyString,
);

/** JSON data as Python's json writes it: non-finite floats included, no type tags. */
export const jsonData: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    scalarValue,
    fc.array(tie('value'), { maxLength: 4 }),
    objectOf(tie('value')),
  ),
})).value;

/** The values kombu's type tags carry, as celeriac's protocol types. */
export const taggedScalar: fc.Arbitrary<unknown> = fc.oneof(
  pythonDate,
  pythonDate.map((date) => new CalendarDate(date.toISOString().slice(0, 10))),
  fc
    .stringMatching(/^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([+-]\d{2}:\d{2}(:\d{2})?|Z)?$/)
    .map((iso) => new TimeOfDay(iso)),
  fc
    .stringMatching(/^[+-]?(\d{1,20}(\.\d{0,10})?|\.\d{1,10})([eE][+-]?\d{1,3})?$/)
    .map((text) => new Decimal(text)),
  fc.uuid().map((text) => new Uuid(text)),
  fc.uint8Array({ maxLength: 16 }),
  fc.uint8Array({ maxLength: 8 }).map((bytes) => new Uint8Array([0xef, 0xbb, 0xbf, ...bytes])),
);

/** Any value kombu JSON can carry: JSON data and tagged values, nested. */
export const kombuValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    scalarValue,
    taggedScalar,
    fc.array(tie('value'), { maxLength: 4 }),
    objectOf(tie('value')),
  ),
})).value;

const nonEmpty = fc.string({ minLength: 1, maxLength: 40, unit: 'binary' });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

/** Task, group, root and parent ids a receiver reads (src/protocol/task-id.ts): printable ASCII, no quotes. */
const ID_CHARS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter(
  (char) => !`'"\\`.includes(char),
);
const taskId = fc.string({ minLength: 1, maxLength: 200, unit: fc.constantFrom(...ID_CHARS) });

/** Signature dicts with kombu values in their arguments. */
export const signature: fc.Arbitrary<SignatureDict> = fc
  .record({
    task: nonEmpty,
    args: fc.array(kombuValue, { maxLength: 3 }),
    kwargs: objectOf(kombuValue, 3),
    options: objectOf(kombuValue, 3),
    immutable: fc.boolean(),
  })
  .map(({ task, args, kwargs, options, immutable }) => signatureDict(task, args, kwargs, options, immutable));

/** Custom header and property names that cannot collide with Celery's or kombu's own. */
const customKey = anyString.map((key) => `x-${key}`);

/** Every field a producer may set, in every combination. */
export const taskMessageInput: fc.Arbitrary<TaskMessageInput> = fc.record(
  {
    taskId,
    name: nonEmpty,
    queue: anyString,
    args: fc.array(kombuValue, { maxLength: 4 }),
    kwargs: objectOf(kombuValue),
    eta: optional(pythonDate),
    expires: optional(pythonDate),
    now: pythonDate,
    group: optional(taskId),
    groupIndex: optional(fc.nat()),
    retries: fc.nat(),
    timeLimitSeconds: optional(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true })),
    softTimeLimitSeconds: optional(fc.nat()),
    rootId: optional(taskId),
    parentId: optional(taskId),
    shadow: optional(anyString),
    callbacks: optional(fc.array(signature, { maxLength: 2 })),
    errbacks: optional(fc.array(signature, { maxLength: 2 })),
    chain: optional(fc.array(signature, { maxLength: 2 })),
    chord: optional(signature),
    origin: anyString,
    ignoreResult: fc.boolean(),
    replacedTaskNesting: fc.nat(),
    stamps: objectOf(jsonData, 3),
    headers: fc
      .uniqueArray(fc.tuple(customKey, jsonData), { maxLength: 3, selector: ([k]) => k })
      .map(objectFrom),
    extraProperties: fc
      .uniqueArray(fc.tuple(customKey, jsonData), { maxLength: 2, selector: ([k]) => k })
      .map(objectFrom),
    replyTo: anyString,
    priority: fc.nat({ max: 255 }),
    deliveryTag: anyString,
    lang: fc.constantFrom('py', 'js'),
  },
  { requiredKeys: ['taskId', 'name', 'queue', 'origin'] },
);

/** What `buildResultMeta` takes, in every combination. */
export const resultMetaInput = fc.record(
  {
    taskId: anyString,
    status: fc.oneof(fc.constantFrom(...Object.values(TaskState)), anyString),
    result: kombuValue,
    traceback: optional(anyString),
    children: optional(fc.array(kombuValue, { maxLength: 3 })),
    dateDone: optional(pythonDate),
    groupId: optional(anyString),
    parentId: optional(anyString),
    extended: fc.record({
      name: anyString,
      args: fc.array(kombuValue, { maxLength: 3 }),
      kwargs: objectOf(kombuValue, 3),
      worker: anyString,
      retries: fc.nat(),
      queue: anyString,
    }),
  },
  { requiredKeys: ['taskId', 'status'] },
);

// ---------------------------------------------------------------------------------------------------------------
// Hostile input

/** Pieces of JSON and base64 syntax, joined at random into text that is almost, but not quite, well formed. */
const SYNTAX = [
  '[',
  ']',
  '{',
  '}',
  '"',
  '\\',
  '\\u',
  '\\ud800',
  ':',
  ',',
  ' ',
  '\n',
  'NaN',
  '-Infinity',
  'Infinity',
  '1e999',
  '-',
  '0',
  'null',
  'true',
  '=',
  'A',
  '/+',
  '"__proto__"',
  '"__type__"',
  '"__value__"',
  '"datetime"',
] as const;

/** Text that is nearly JSON or base64: worst for parsers that guess. */
export const nearlyJson = fc
  .array(fc.constantFrom(...SYNTAX), { maxLength: 40 })
  .map((parts) => parts.join(''));

/** A kombu type tag with any type name and any value. */
const anyTag = fc
  .record({
    type: fc.oneof(
      fc.constantFrom('datetime', 'date', 'time', 'decimal', 'uuid', 'bytes', 'base64'),
      anyString,
    ),
    value: fc.oneof(jsonData, anyString, objectOf(jsonData, 2)),
  })
  .map(({ type, value }) =>
    objectFrom<JsonValue>([
      ['__type__', type],
      ['__value__', value],
    ]),
  );

/** JSON data with type tags, valid (mostly) or not, anywhere in it. */
export const hostileJson: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    { weight: 6, arbitrary: scalarValue },
    { weight: 2, arbitrary: taggedScalar.map((value) => toTaggedJson(value)) },
    { weight: 1, arbitrary: anyTag },
    { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 2, arbitrary: objectOf(tie('value')) },
  ),
})).value;

/** Mostly `valid`, sometimes any hostile JSON in its place. */
const mostly = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<T | JsonValue> =>
  fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: hostileJson });

/** JSON nested around the depth limit and far past it, closed or not, of arrays, objects or both. */
export const deepJson = fc
  .record({
    depth: fc.integer({ min: 990, max: 20_000 }),
    open: fc.constantFrom('[', '{"a": ', '[{"__proto__": '),
    closed: fc.boolean(),
  })
  .map(({ depth, open, closed }) => {
    const close = open === '[' ? ']' : open === '{"a": ' ? '}' : '}]';
    return open.repeat(depth) + (open === '[' ? '' : '0') + (closed ? close.repeat(depth) : '');
  });

/** Text for a JSON decoder: noise, nearly-JSON, and Python-style JSON of hostile data. */
export const hostileText = fc.oneof(
  anyString,
  nearlyJson,
  fc.base64String({ maxLength: 40 }),
  hostileJson.map((value) => pythonJsonDumps(value)),
  deepJson,
);

const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/x-python-serialize',
];
const COMPRESSIONS = [
  'application/x-gzip',
  'application/x-brotli',
  'application/zstd',
  'zlib',
  'constructor',
];

/** A signature dict as JSON, with noise in its fields. */
const signatureJson: fc.Arbitrary<JsonValue> = fc
  .record(
    {
      task: mostly(nonEmpty),
      args: mostly(fc.array(hostileJson, { maxLength: 2 })),
      kwargs: mostly(objectOf(hostileJson, 2)),
      options: mostly(objectOf(hostileJson, 2)),
      subtask_type: mostly(optional(anyString)),
      immutable: mostly(fc.boolean()),
    },
    { requiredKeys: [] },
  )
  .map((record) => objectFrom(Object.entries(record) as [string, JsonValue][]));

/** Task headers as JSON: Celery's, each usually of the right type, plus hostile extra keys. */
const headersJson: fc.Arbitrary<JsonValue> = fc
  .tuple(
    fc.record(
      {
        lang: mostly(fc.constant('py')),
        shadow: mostly(optional(anyString)),
        eta: mostly(optional(pythonDate.map((date) => date.toISOString()))),
        expires: mostly(optional(anyString)),
        group: mostly(optional(anyString)),
        group_index: mostly(optional(fc.nat())),
        retries: mostly(fc.nat()),
        timelimit: mostly(fc.tuple(optional(fc.nat()), optional(fc.double()))),
        root_id: mostly(optional(anyString)),
        argsrepr: mostly(anyString),
        ignore_result: mostly(fc.boolean()),
        stamped_headers: mostly(optional(fc.array(anyString, { maxLength: 2 }))),
        stamps: mostly(objectOf(hostileJson, 2)),
      },
      { requiredKeys: [] },
    ),
    objectOf(hostileJson, 3),
  )
  .map(([celery, extra]) =>
    objectFrom([...Object.entries(celery), ...Object.entries(extra)] as [string, JsonValue][]),
  );

/** A task body: a well-formed `[args, kwargs, embed]` or v1 object with noise in any part, or noise. */
const taskBodyValue: fc.Arbitrary<JsonValue> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(
      mostly(fc.array(hostileJson, { maxLength: 3 })),
      mostly(objectOf(hostileJson, 3)),
      mostly(
        fc.option(
          fc.record(
            {
              callbacks: mostly(fc.array(mostly(signatureJson), { maxLength: 2 })),
              errbacks: mostly(fc.array(mostly(signatureJson), { maxLength: 2 })),
              chain: mostly(fc.array(mostly(signatureJson), { maxLength: 2 })),
              chord: mostly(signatureJson),
            },
            { requiredKeys: [] },
          ),
          { nil: null },
        ),
      ),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        task: mostly(nonEmpty),
        id: mostly(nonEmpty),
        args: mostly(fc.array(hostileJson, { maxLength: 3 })),
        kwargs: mostly(objectOf(hostileJson, 3)),
        callbacks: hostileJson,
        eta: mostly(pythonDate.map((date) => date.toISOString())),
        taskset: hostileJson,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: hostileJson },
) as fc.Arbitrary<JsonValue>;

/** The `body` of an envelope and the compression header it needs: encoded, compressed, corrupt, or noise. */
const envelopeBody = fc
  .record({
    text: fc.oneof(
      { weight: 4, arbitrary: taskBodyValue.map((value) => pythonJsonDumps(value)) },
      { weight: 1, arbitrary: hostileText },
      { weight: 1, arbitrary: deepJson.map((deep) => `[[${deep}], {}, null]`) },
    ),
    compression: fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.constantFrom('application/x-gzip', 'application/x-brotli') },
      { weight: 1, arbitrary: fc.constantFrom(...COMPRESSIONS) },
    ),
    encoding: fc.constantFrom('base64', 'base64', 'base64', 'utf-8', 'other'),
    corrupt: fc.integer({ min: 0, max: 4 }).map((roll) => roll === 0),
  })
  .map(({ text, compression, encoding, corrupt }) => {
    let bytes = Buffer.from(text, 'utf-8');
    if (compression === 'application/x-gzip') bytes = deflateSync(bytes);
    if (compression === 'application/x-brotli') bytes = brotliCompressSync(bytes);
    if (corrupt) bytes = bytes.subarray(0, Math.floor(bytes.length / 2));
    // kombu base64-encodes a compressed body; once in a while, say it does not.
    const declared = compression && !corrupt ? 'base64' : encoding;
    const body = encoding === 'base64' || compression ? bytes.toString('base64') : bytes.toString('utf-8');
    return { body, compression, encoding: declared };
  });

/** A kombu envelope, as JSON data, with noise in any field. */
export const hostileEnvelope: fc.Arbitrary<JsonValue> = fc
  .record({
    body: fc.oneof({ weight: 4, arbitrary: envelopeBody }, { weight: 1, arbitrary: hostileJson }),
    contentType: mostly(fc.constantFrom(...CONTENT_TYPES)),
    headers: mostly(headersJson),
    v2: fc.constantFrom(true, true, true, false),
    properties: mostly(objectOf(hostileJson, 3)),
  })
  .map(({ body, contentType, headers, v2, properties }) => {
    const isBody = typeof body === 'object' && body !== null && 'encoding' in body && 'body' in body;
    const baseHeaders: Record<string, JsonValue> = v2 ? { task: 'tasks.add', id: 't-1' } : {};
    if (isBody && body.compression) baseHeaders.compression = body.compression;
    return objectFrom<JsonValue>([
      ['body', isBody ? body.body : (body as JsonValue)],
      ['content-encoding', 'utf-8'],
      ['content-type', contentType],
      [
        'headers',
        typeof headers === 'object' && headers !== null && !Array.isArray(headers)
          ? { ...baseHeaders, ...headers }
          : headers,
      ],
      [
        'properties',
        typeof properties === 'object' && properties !== null && !Array.isArray(properties)
          ? { body_encoding: isBody ? body.encoding : 'base64', ...properties }
          : properties,
      ],
    ]);
  });

/** An SQS `MessageBody`: an envelope (base64 or plain), a bare task, or noise. */
export const hostileMessageBody = fc.oneof(
  { weight: 4, arbitrary: hostileEnvelope.map((envelope) => base64Encode(pythonJsonDumps(envelope))) },
  { weight: 1, arbitrary: hostileEnvelope.map((envelope) => pythonJsonDumps(envelope)) },
  { weight: 1, arbitrary: taskBodyValue.map((value) => pythonJsonDumps(value)) },
  { weight: 1, arbitrary: hostileText },
);

/** A result meta, as JSON text, with noise in any field; exception results often. */
export const hostileResultMeta = fc.oneof(
  fc
    .record(
      {
        status: fc.oneof(fc.constantFrom('SUCCESS', 'FAILURE', 'REVOKED', 'RETRY'), hostileJson),
        result: fc.oneof(
          hostileJson,
          fc.record(
            {
              exc_type: fc.oneof(
                fc.constantFrom(...HOSTILE_KEYS, 'TimeLimitExceeded', 'NotRegistered'),
                hostileJson,
              ),
              exc_message: hostileJson,
              exc_module: fc.oneof(fc.constantFrom('celery.exceptions', 'builtins'), hostileJson),
            },
            { requiredKeys: [] },
          ),
        ),
        traceback: hostileJson,
        children: hostileJson,
        date_done: hostileJson,
        task_id: hostileJson,
        celeriac_payload: fc.oneof(
          hostileJson,
          fc.record(
            { s3BucketName: hostileJson, s3Key: hostileJson, size: hostileJson },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    )
    .map((meta) => pythonJsonDumps(meta)),
  hostileText,
  deepJson.map((deep) => `{"status": "SUCCESS", "result": ${deep}, "task_id": "t-1"}`),
);

/** A pointer `MessageBody`: well formed, or with noise in any part. */
export const hostilePointer = fc.oneof(
  fc
    .tuple(
      fc.oneof(
        fc.constantFrom(
          'software.amazon.payloadoffloading.PayloadS3Pointer',
          'com.amazon.sqs.javamessaging.MessageS3Pointer',
        ),
        hostileJson,
      ),
      fc.oneof(
        fc.record({ s3BucketName: hostileJson, s3Key: hostileJson }, { requiredKeys: [] }),
        hostileJson,
      ),
    )
    .map((pointer) => pythonJsonDumps(pointer)),
  hostileText.map((text) => `[${text}`),
  hostileText,
);
