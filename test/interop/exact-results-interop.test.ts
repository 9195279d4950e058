/**
 * Results stored by real Python Celery, read by the TypeScript client, both settings:
 * - Python's result backend stores each value of the golden set (big integers, integral floats, naive and aware
 *   datetimes with microseconds, a Decimal) as a SUCCESS result; `AsyncResult.get()` and `GroupResult.get()`
 *   read them as `bigint`, `PythonFloat`, `PythonDateTime` and `Decimal` with `exactValues: true`, and as
 *   numbers, `Date`s and `Decimal` by default;
 * - what the client read, stored again as a result, reads back in Python unchanged in exact mode and changed in
 *   exactly the documented ways by default.
 * The TypeScript worker's own results reaching Python unchanged is `serializers-exact-interop.test.ts`.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp, Decimal, PythonDateTime, PythonFloat } from '../../src/index.js';
import { buildResultMeta } from '../../src/protocol/result-meta.js';
import { uniqueName } from '../emulator/unique-name.js';
import { runPython } from './helpers/python-celery.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const resultTable = uniqueName('exact-results-interop');

/** The golden set's values, as Python source. */
const PYTHON_VALUES = `[9007199254740993, 10**30, -(2**70), 5.0, -0.0, 1e300, 1.5, 2**53, 2**64 + 1,
          dt.datetime(2024, 1, 2, 3, 4, 5, 123456), dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc),
          decimal.Decimal("1.10"), {"f": 100.0, "nested": [2.0, [3e20]]}]`;

/** Python: stores each value as a SUCCESS result under the given ids and saves them as a group. */
const store = (ids: readonly string[], groupId: string): string => `
import json, datetime as dt, decimal
from celery.result import AsyncResult, GroupResult
from celeriac_fixtures.app import app
values = ${PYTHON_VALUES}
ids = ${JSON.stringify(ids)}
for task_id, value in zip(ids, values):
    app.backend.store_result(task_id, value, "SUCCESS")
GroupResult("${groupId}", [AsyncResult(i, app=app) for i in ids], app=app).save(backend=app.backend)
print(json.dumps(len(ids)))
`;

/** Python: reads results under the given ids and says, for each, whether it is the value it stored. */
const compare = (ids: readonly string[]): string => `
import json, datetime as dt, decimal
from celery.result import AsyncResult
from celeriac_fixtures.app import app
values = ${PYTHON_VALUES}
back = [AsyncResult(i, app=app).get(timeout=10) for i in ${JSON.stringify(ids)}]
print(json.dumps([[repr(v), repr(b), type(v) is type(b) and v == b and repr(v) == repr(b)]
                  for v, b in zip(values, back)]))
`;

const EXACT = [
  9007199254740993n,
  10n ** 30n,
  -(2n ** 70n),
  new PythonFloat(5),
  new PythonFloat(-0),
  new PythonFloat(1e300),
  1.5,
  2n ** 53n,
  2n ** 64n + 1n,
  new PythonDateTime('2024-01-02T03:04:05.123456'),
  new PythonDateTime('2024-01-02T03:04:05.000006+00:00'),
  new Decimal('1.10'),
  { f: new PythonFloat(100), nested: [new PythonFloat(2), [new PythonFloat(3e20)]] },
];
const DEFAULT = [
  9007199254740992,
  1e30,
  -(2 ** 70),
  5,
  -0,
  1e300,
  1.5,
  2 ** 53,
  2 ** 64,
  new Date('2024-01-02T03:04:05.123Z'),
  new Date('2024-01-02T03:04:05.000Z'),
  new Decimal('1.10'),
  { f: 100, nested: [2, [3e20]] },
];

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), resultTable);
});

describe.each([
  { mode: 'exact', exactValues: true, expected: EXACT },
  { mode: 'default', exactValues: false, expected: DEFAULT },
])("Python's stored results read by celeriac ($mode mode)", ({ exactValues, expected }) => {
  const ids = EXACT.map(() => randomUUID());
  const groupId = randomUUID();
  const app = createApp({ resultTable, exactValues, env: { AWS_ENDPOINT_URL: endpoint } });

  beforeAll(async () => {
    await runPython(store(ids, groupId), { resultTable, timeoutMs: 60_000 });
  }, 90_000);

  it('AsyncResult.get and GroupResult.get return them as documented', async () => {
    const read = await Promise.all(ids.map((id) => app.asyncResult(id).get({ timeoutMs: 10_000 })));
    expect(read).toStrictEqual(expected);
    const group = await app.client.restoreGroup(groupId);
    expect(await group?.get({ timeoutMs: 10_000 })).toStrictEqual(expected);
  });

  it(
    exactValues
      ? 'stores them back so that Python reads every value unchanged'
      : 'stores them back changed in exactly the documented ways',
    async () => {
      const read = await Promise.all(ids.map((id) => app.asyncResult(id).get({ timeoutMs: 10_000 })));
      const again = ids.map(() => randomUUID());
      await Promise.all(
        again.map((taskId, i) =>
          app.runtime.results.put(
            taskId,
            buildResultMeta({ taskId, status: 'SUCCESS', result: read[i], dateDone: new Date() }),
            { nowMs: Date.now() },
          ),
        ),
      );
      const rows = await runPython<[string, string, boolean][]>(compare(again), {
        resultTable,
        timeoutMs: 60_000,
      });
      if (exactValues) {
        expect(rows.filter(([, , same]) => !same)).toEqual([]);
        return;
      }
      const utc = 'tzinfo=datetime.timezone.utc';
      expect(rows.filter(([, , same]) => !same).map(([sent, back]) => [sent, back])).toEqual([
        ['9007199254740993', '9007199254740992'],
        ['1000000000000000000000000000000', '1000000000000000019884624838656'],
        ['5.0', '5'],
        // An integral float comes back an int: 1e300's exact digits.
        ['1e+300', BigInt(1e300).toString()],
        ['18446744073709551617', '18446744073709551616'],
        [
          'datetime.datetime(2024, 1, 2, 3, 4, 5, 123456)',
          `datetime.datetime(2024, 1, 2, 3, 4, 5, 123000, ${utc})`,
        ],
        [
          `datetime.datetime(2024, 1, 2, 3, 4, 5, 6, ${utc})`,
          `datetime.datetime(2024, 1, 2, 3, 4, 5, ${utc})`,
        ],
        ["{'f': 100.0, 'nested': [2.0, [3e+20]]}", "{'f': 100, 'nested': [2, [300000000000000000000]]}"],
      ]);
    },
  );
});
