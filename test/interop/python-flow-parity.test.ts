/**
 * The Python package reads limits as celeriac does, so both sides name and fill the same items: for the same
 * inputs, `celeriac_celery.flow_limits` (python/celeriac_celery) and `src/flow/` agree on rates (Celery's
 * `rate_limit` syntax), on the limits record `celeriac control rate-limit` writes, on limit keys and on the key's
 * form in a bucket name. celeriac's own functions are the oracle.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bucketKey, limitKeyOf } from '../../src/flow/limit-key.js';
import { parseLimitsRecord } from '../../src/flow/limits-record.js';
import { parseRate } from '../../src/flow/rate.js';
import { repoRoot } from '../emulator/moto-server.js';
import { fixturesDir, runPython } from './helpers/python-celery.js';

const pythonPath = [
  fixturesDir,
  path.join(repoRoot, 'python', 'celeriac_events'),
  path.join(repoRoot, 'python', 'celeriac_celery'),
].join(path.delimiter);

const rates: Array<string | number> = [
  '10/s',
  '100/m',
  '1000/h',
  ' 5 / s ',
  '2.5/s',
  '.5/m',
  '7',
  '0',
  '0/s',
  7,
  0.25,
  0,
  '10/x',
  '-1/s',
  '1e3/s',
  'abc',
  '',
  -1,
];

const records: string[] = [
  JSON.stringify({
    version: 1,
    tasks: { 'tasks.charge': { rateLimit: '50/s', keyRateLimit: '5/s', keyConcurrency: 2 } },
  }),
  JSON.stringify({ version: 1, tasks: { a: { rateLimit: '0' }, b: {} } }),
  JSON.stringify({ version: 1, tasks: { a: { keyConcurrency: 0 } } }),
  JSON.stringify({ version: 1, tasks: { a: { keyConcurrency: 1.5 } } }),
  JSON.stringify({ version: 1, tasks: { a: { rateLimit: 5 } } }),
  JSON.stringify({ version: 1, tasks: { a: { rateLimit: '5/x' } } }),
  JSON.stringify({ version: 2, tasks: {} }),
  JSON.stringify({ version: 1, tasks: [] }),
  '{not json',
];

const keyValues: unknown[] = ['acme', 3, 3.5, 0.1 + 0.2, 1e21, -0, '', true, null, ['x']];

const bucketKeys = ['acme', 'x'.repeat(200), 'x'.repeat(201), 'a b', 'tenant/ünï', '', 'key#with#hashes'];

/** celeriac's answer, or that it refused the input. */
function tsOutcome<T>(fn: () => T): { ok: T } | { error: true } {
  try {
    return { ok: fn() };
  } catch {
    return { error: true };
  }
}

describe('the Python package reads limits as celeriac does', () => {
  it('rates, limits records, limit keys and bucket keys', async () => {
    const inputs = { rates, records, keyValues, bucketKeys };
    const python = await runPython<{
      rates: unknown[];
      records: unknown[];
      keys: unknown[];
      buckets: string[];
    }>(
      [
        'import json',
        'from celeriac_celery.flow_limits import FlowLimitError, bucket_key, limit_key_of, parse_limits_record, parse_rate',
        `inputs = json.loads(${JSON.stringify(JSON.stringify(inputs))})`,
        'def outcome(fn):',
        '    try:',
        '        return {"ok": fn()}',
        '    except FlowLimitError:',
        '        return {"error": True}',
        'print(json.dumps({',
        '    "rates": [outcome(lambda v=v: parse_rate(v, "x").per_second) for v in inputs["rates"]],',
        '    "records": [outcome(lambda t=t: parse_limits_record(t)) for t in inputs["records"]],',
        '    "keys": [limit_key_of({"kwarg": "t"}, [], {"t": v}, {}) for v in inputs["keyValues"]],',
        '    "buckets": [bucket_key(k) for k in inputs["bucketKeys"]],',
        '}))',
      ].join('\n'),
      { env: { PYTHONPATH: pythonPath } },
    );
    expect(python.rates).toEqual(rates.map((value) => tsOutcome(() => parseRate(value, 'x').perSecond)));
    expect(python.records).toEqual(records.map((text) => tsOutcome(() => parseLimitsRecord(text).tasks)));
    expect(python.keys).toEqual(
      keyValues.map(
        (value) => limitKeyOf({ kwarg: 't' }, { args: [], kwargs: { t: value }, headers: {} }) ?? null,
      ),
    );
    expect(python.buckets).toEqual(await Promise.all(bucketKeys.map((key) => bucketKey(key))));
  });
});
