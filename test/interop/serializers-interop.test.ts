/**
 * Serializers and compression against real Python Celery 5.6 / kombu 5.6, both directions, on the emulator:
 * - Python's producer sends with `serializer='msgpack'|'yaml'` and every compression kombu 5.6 registers
 *   (`zlib`, `gzip`, `brotli`, `zstd`, `bzip2`, `lzma`/`xz`); a
 *   celeriac Lambda handler that accepts them runs the task, and Python reads the result.
 * - celeriac's client sends the same combinations to a Python `celery worker` whose `accept_content` lists
 *   them; the worker's `tasks.describe` reports each argument's Python type and repr.
 * - A celeriac worker with the default accept list (JSON only) refuses Python's msgpack and leaves it for the
 *   dead-letter queue, storing FAILURE ContentDisallowed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import type { CompressionMethod } from '../../src/protocol/compression.js';
import type { SerializerName } from '../../src/protocol/serializers.js';
import { uniqueName } from '../emulator/unique-name.js';
import { pollOnce } from '../helpers/event-source-mapping.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import { type PythonWorker, runPython, startPythonWorker } from './helpers/python-celery.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const resultTable = uniqueName('serial-results');
const GET = { timeoutMs: 30_000, intervalMs: 50, maxIntervalMs: 250 } as const;

/** What the TypeScript task reports about one argument: its JavaScript kind and a JSON-safe rendering. */
function describeValue(value: unknown): [string, unknown] {
  if (typeof value === 'bigint') return ['bigint', value.toString()];
  if (value instanceof Uint8Array) return ['Uint8Array', Buffer.from(value).toString('hex')];
  if (value instanceof Date) return ['Date', value.toISOString()];
  if (Array.isArray(value)) return ['array', value.map(describeValue)];
  if (value === null) return ['null', null];
  if (typeof value === 'number' && !Number.isFinite(value)) return ['number', String(value)];
  return [typeof value, value];
}

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), resultTable);
});

describe('a Python Celery client sending msgpack, YAML and compressed bodies to a celeriac worker', () => {
  const queuePrefix = `${uniqueName('ser-py2ts')}-`;
  let queueUrl: string;
  let stopping = false;
  let loop: Promise<void>;
  const lines: string[] = [];

  beforeAll(async () => {
    ({ queueUrl } = await createQueueWithDeadLetter(sqs, `${queuePrefix}celery`));
    const app = createApp({
      queueUrls: { celery: queueUrl },
      resultTable,
      acceptContent: ['json', 'msgpack', 'yaml'],
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    app.task('interop.describe', (...args: unknown[]) => args.map(describeValue));
    const handler = createSqsHandler(app, { log: (line) => lines.push(line) });
    loop = (async () => {
      while (!stopping) await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 1 });
    })();
  });

  afterAll(async () => {
    stopping = true;
    await loop;
  });

  const python = <T>(code: string) =>
    runPython<T>(
      `import json, datetime as dt\nfrom celeriac_fixtures.app import app\n` +
        `@app.task(name="interop.describe")\ndef describe(*args):\n    raise AssertionError("runs in TypeScript")\n` +
        code,
      { queuePrefix, resultTable, timeoutMs: 60_000 },
    );

  it('runs every combination and Python reads the results', async () => {
    const out = await python<Record<string, unknown>>(`
combos = [("json", "zlib"), ("json", "gzip"), ("json", "brotli"), ("json", "zstd"), ("json", "bzip2"),
          ("json", "lzma"), ("msgpack", None), ("msgpack", "zlib"), ("msgpack", "xz"), ("yaml", None),
          ("yaml", "brotli"), ("yaml", "zstd")]
rs = {f"{s}+{c}": describe.apply_async((1, 2**40, 1.5, "ünï", b"\\x00\\xff", None, [1, [2]]),
                                      serializer=s, compression=c) for s, c in combos}
print(json.dumps({k: r.get(timeout=30) for k, r in rs.items()}))
`);
    const expected = [
      ['number', 1],
      ['number', 2 ** 40],
      ['number', 1.5],
      ['string', 'ünï'],
      ['Uint8Array', '00ff'],
      ['null', null],
      [
        'array',
        [
          ['number', 1],
          ['array', [['number', 2]]],
        ],
      ],
    ];
    for (const key of [
      'json+zlib',
      'json+gzip',
      'json+brotli',
      'json+zstd',
      'json+bzip2',
      'json+lzma',
      'msgpack+None',
      'msgpack+zlib',
      'msgpack+xz',
      'yaml+None',
      'yaml+brotli',
      'yaml+zstd',
    ]) {
      expect(out[key], `${key}\n${lines.join('\n')}`).toEqual(expected);
    }
  });

  it('reads YAML datetimes and big integers as Python wrote them', async () => {
    const out = await python<unknown>(`
r = describe.apply_async((10**30, dt.datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=dt.timezone.utc)), serializer="yaml")
print(json.dumps(r.get(timeout=30)))
`);
    expect(out).toEqual([
      ['bigint', '1000000000000000000000000000000'],
      ['Date', '2024-01-02T03:04:05.123Z'],
    ]);
  });
});

describe('a celeriac worker with the default accept list', () => {
  const queuePrefix = `${uniqueName('ser-refuse')}-`;

  it('refuses msgpack with ContentDisallowed, storing FAILURE, and runs nothing', async () => {
    const { queueUrl, deadLetterUrl } = await createQueueWithDeadLetter(sqs, `${queuePrefix}celery`, {
      maxReceiveCount: 1,
    });
    const app = createApp({
      queueUrls: { celery: queueUrl },
      resultTable,
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    let ran = 0;
    app.task('interop.describe', () => {
      ran += 1;
    });
    const lines: string[] = [];
    const handler = createSqsHandler(app, { log: (line) => lines.push(line) });
    const { id } = await runPython<{ id: string }>(
      `import json\nfrom celeriac_fixtures.app import app\n` +
        `r = app.send_task("interop.describe", args=(1,), serializer="msgpack")\nprint(json.dumps({"id": r.id}))`,
      { queuePrefix, resultTable },
    );
    const poll = await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 5, visibilityTimeoutSeconds: 0 });
    expect(poll.records).toHaveLength(1);
    expect(poll.response?.batchItemFailures).toHaveLength(1);
    expect(ran).toBe(0);
    expect(await app.asyncResult(id).info()).toMatchObject({
      exc_type: 'ContentDisallowed',
      exc_module: 'kombu.exceptions',
    });
    expect(lines.join('\n')).toMatch(/application\/x-msgpack/);
    // Past maxReceiveCount the queue's redrive policy moves it to the dead-letter queue.
    for (let i = 0; i < 3; i++) {
      await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 0, visibilityTimeoutSeconds: 0 });
    }
    expect(ran).toBe(0);
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: deadLetterUrl, WaitTimeSeconds: 1 }));
    expect(dead.Messages ?? []).toHaveLength(1);
  });
});

describe('the celeriac client sending msgpack, YAML and compressed bodies to a Python Celery worker', () => {
  const queuePrefix = `${uniqueName('ser-ts2py')}-`;
  let worker: PythonWorker;

  beforeAll(async () => {
    await createQueueWithDeadLetter(sqs, `${queuePrefix}celery`);
    worker = await startPythonWorker({
      queuePrefix,
      resultTable,
      env: { CELERIAC_TEST_ACCEPT_CONTENT: 'json,msgpack,yaml' },
    });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
  });

  const combos: readonly [SerializerName | undefined, CompressionMethod | undefined][] = [
    [undefined, 'zlib'],
    [undefined, 'gzip'],
    [undefined, 'brotli'],
    [undefined, 'zstd'],
    ['msgpack', undefined],
    ['msgpack', 'zlib'],
    ['msgpack', 'zstd'],
    ['yaml', undefined],
    ['yaml', 'brotli'],
  ];

  it.each(combos)('serializer %s with compression %s, per call', async (serializer, compression) => {
    const app = createApp({ queueNamePrefix: queuePrefix, resultTable, env: { AWS_ENDPOINT_URL: endpoint } });
    const result = await app.sendTask<unknown>(
      'tasks.describe',
      [1, 2 ** 40, 1.5, 'ünï', new Uint8Array([0, 255]), null, [1, [2]]],
      {},
      { ...(serializer ? { serializer } : {}), ...(compression ? { compression } : {}) },
    );
    expect(await result.get(GET), worker.logs()).toEqual([
      ['int', '1'],
      ['int', '1099511627776'],
      ['float', '1.5'],
      ['str', "'ünï'"],
      ['bytes', "b'\\x00\\xff'"],
      ['NoneType', 'None'],
      ['list', '[1, [2]]'],
    ]);
  });

  it('uses the app-wide serializer and compression, and a task-level override', async () => {
    const app = createApp({
      queueNamePrefix: queuePrefix,
      resultTable,
      serializer: 'msgpack',
      compression: 'brotli',
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    const yamlTask = app.task('tasks.describe', (..._args: unknown[]) => [] as unknown[], {
      serializer: 'yaml',
    });
    const viaApp = await app.sendTask<unknown>('tasks.add', [2, 3]);
    expect(await viaApp.get(GET)).toBe(5);
    const viaTask = await yamlTask.applyAsync([new Date('2024-01-02T03:04:05.123Z'), 10n ** 30n]);
    expect(await viaTask.get(GET)).toEqual([
      ['datetime', 'datetime.datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=datetime.timezone.utc)'],
      ['int', '1000000000000000000000000000000'],
    ]);
    expect(worker.logs()).not.toMatch(/ContentDisallowed|DecodeError/);
  });
});
