/**
 * Exact values against real Python Celery, both settings:
 * - Python → celeriac (exactValues) → Python: big integers, integral floats and microsecond, naive and aware
 *   datetimes come back to Python equal and of the same type; in the default mode they come back changed, in
 *   exactly the documented ways.
 * - the same for msgpack and YAML task arguments (`serializer=`), exact and default.
 * - celeriac → a Python worker: `bigint`, `PythonFloat` and `PythonDateTime` arrive as Python's int, float and
 *   datetime, microseconds and naivety kept.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp, PythonDateTime, PythonFloat } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { uniqueName } from '../emulator/unique-name.js';
import { pollOnce } from '../helpers/event-source-mapping.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import { type PythonWorker, runPython, startPythonWorker } from './helpers/python-celery.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const resultTable = uniqueName('exact-results');
const GET = { timeoutMs: 30_000, intervalMs: 50, maxIntervalMs: 250 } as const;

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), resultTable);
});

/** Python source: sends values to `interop.echo` and reports whether each came back equal, typed and written alike. */
const ROUND_TRIP = `
import json, datetime as dt
from celeriac_fixtures.app import app
@app.task(name="interop.echo")
def echo(*args):
    raise AssertionError("runs in TypeScript")
utc = dt.timezone.utc
values = [9007199254740993, 10**30, -(2**70), 5.0, -0.0, 1e300, 1.5, 2**64 + 1,
          dt.datetime(2024, 1, 2, 3, 4, 5, 123456), dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=utc),
          {"f": 100.0, "nested": [2.0, [3e20]]}]
back = echo.apply_async(values).get(timeout=30)
print(json.dumps([[repr(v), repr(b), type(v) is type(b) and v == b and repr(v) == repr(b)] for v, b in zip(values, back)]))
`;

describe.each([
  { mode: 'exact', exactValues: true },
  { mode: 'default', exactValues: false },
])('Python → celeriac ($mode mode) → Python', ({ exactValues }) => {
  const queuePrefix = `${uniqueName('exact-py2ts')}-`;
  let stopping = false;
  let loop: Promise<void>;

  beforeAll(async () => {
    const { queueUrl } = await createQueueWithDeadLetter(sqs, `${queuePrefix}celery`);
    const app = createApp({
      queueUrls: { celery: queueUrl },
      resultTable,
      exactValues,
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    app.task('interop.echo', (...args: unknown[]) => args);
    const handler = createSqsHandler(app, { log: () => {} });
    loop = (async () => {
      while (!stopping) await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 1 });
    })();
  });

  afterAll(async () => {
    stopping = true;
    await loop;
  });

  it(exactValues ? 'returns every value unchanged' : 'changes exactly the documented values', async () => {
    const rows = await runPython<[string, string, boolean][]>(ROUND_TRIP, {
      queuePrefix,
      resultTable,
      timeoutMs: 60_000,
    });
    const unchanged = rows.map(([sent, , same]) => [sent, same]);
    if (exactValues) {
      expect(rows.filter(([, , same]) => !same)).toEqual([]);
      return;
    }
    expect(unchanged).toEqual([
      ['9007199254740993', false],
      ['1000000000000000000000000000000', false],
      ['-1180591620717411303424', true],
      ['5.0', false],
      ['-0.0', true],
      ['1e+300', false],
      ['1.5', true],
      ['18446744073709551617', false],
      ['datetime.datetime(2024, 1, 2, 3, 4, 5, 123456)', false],
      ['datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc)', false],
      ["{'f': 100.0, 'nested': [2.0, [3e+20]]}", false],
    ]);
    expect(rows[0]?.[1]).toBe('9007199254740992');
    expect(rows[1]?.[1]).toBe('1000000000000000019884624838656');
    expect(rows[3]?.[1]).toBe('5');
  });
});

describe('celeriac sends exact values to a Python worker', () => {
  const queuePrefix = `${uniqueName('exact-ts2py')}-`;
  let worker: PythonWorker;

  beforeAll(async () => {
    await createQueueWithDeadLetter(sqs, `${queuePrefix}celery`);
    worker = await startPythonWorker({ queuePrefix, resultTable });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
  });

  it('arrives as int, float and datetime, microseconds and naivety kept', async () => {
    const app = createApp({ queueNamePrefix: queuePrefix, resultTable, env: { AWS_ENDPOINT_URL: endpoint } });
    const result = await app.sendTask<unknown>('tasks.describe', [
      9007199254740993n,
      10n ** 30n,
      new PythonFloat(5),
      new PythonDateTime('2024-01-02T03:04:05.123456'),
      new PythonDateTime('2024-01-02T03:04:05.000006+00:00'),
    ]);
    expect(await result.get(GET), worker.logs()).toEqual([
      ['int', '9007199254740993'],
      ['int', '1000000000000000000000000000000'],
      ['float', '5.0'],
      ['datetime', 'datetime.datetime(2024, 1, 2, 3, 4, 5, 123456)'],
      ['datetime', 'datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc)'],
    ]);
  });
});

/** Python source: sends msgpack and YAML values to `interop.echo` and reports whether each came back the same. */
const ROUND_TRIP_SERIALIZERS = `
import json, datetime as dt
from celeriac_fixtures.app import app
@app.task(name="interop.echo")
def echo(*args):
    raise AssertionError("runs in TypeScript")
utc = dt.timezone.utc
sent = {
    "msgpack": [2**63 - 1, 2**64 - 1, 5.0, -0.0, 1e300, 1.5, "ünï"],
    "yaml": [10**30, 5.0, 1e300, dt.datetime(2024, 1, 2, 3, 4, 5, 123456),
             dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=utc), dt.date(2024, 1, 2)],
}
rs = {s: echo.apply_async(v, serializer=s) for s, v in sent.items()}
print(json.dumps({s: [[repr(v), repr(b), type(v) is type(b) and v == b and repr(v) == repr(b)]
                      for v, b in zip(sent[s], r.get(timeout=30))] for s, r in rs.items()}))
`;

describe.each([
  { mode: 'exact', exactValues: true },
  { mode: 'default', exactValues: false },
])('Python msgpack and YAML → celeriac ($mode mode) → Python', ({ exactValues }) => {
  const queuePrefix = `${uniqueName('exact-ser')}-`;
  let stopping = false;
  let loop: Promise<void>;

  beforeAll(async () => {
    const { queueUrl } = await createQueueWithDeadLetter(sqs, `${queuePrefix}celery`);
    const app = createApp({
      queueUrls: { celery: queueUrl },
      resultTable,
      exactValues,
      acceptContent: ['json', 'msgpack', 'yaml'],
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    app.task('interop.echo', (...args: unknown[]) => args);
    const handler = createSqsHandler(app, { log: () => {} });
    loop = (async () => {
      while (!stopping) await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 1 });
    })();
  });

  afterAll(async () => {
    stopping = true;
    await loop;
  });

  it(
    exactValues ? 'returns every value unchanged' : 'changes the integral floats and datetimes',
    async () => {
      const out = await runPython<Record<string, [string, string, boolean][]>>(ROUND_TRIP_SERIALIZERS, {
        queuePrefix,
        resultTable,
        timeoutMs: 60_000,
      });
      const changed = (rows: [string, string, boolean][] = []) => rows.filter(([, , same]) => !same);
      if (exactValues) {
        expect(changed(out.msgpack)).toEqual([]);
        expect(changed(out.yaml)).toEqual([]);
        return;
      }
      // -0.0 survives even by default: the library writes a negative zero as float64.
      expect(changed(out.msgpack).map(([sent]) => sent)).toEqual(['5.0', '1e+300']);
      expect(changed(out.yaml).map(([sent]) => sent)).toEqual([
        '5.0',
        '1e+300',
        'datetime.datetime(2024, 1, 2, 3, 4, 5, 123456)',
        'datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc)',
        'datetime.date(2024, 1, 2)',
      ]);
    },
  );
});
