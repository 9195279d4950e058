/**
 * Results read exactly (`exactValues: true`) and in the default mode, through the memory store, the payload
 * store (an offloaded result) and the client's handles (`AsyncResult.get`, `GroupResult.get`). What the stored
 * text holds is what Python's result backend writes: the golden set's big integers, integral floats, naive and
 * aware datetimes with microseconds, and a Decimal.
 */
import { describe, expect, it } from 'vitest';
import { createApp, Decimal, PythonDateTime, PythonFloat } from '../../src/index.js';
import { createMemoryTransport } from '../../src/memory/index.js';
import { MemoryPayloadStore } from '../../src/memory/memory-payload-store.js';
import { MemoryResultStore } from '../../src/memory/memory-result-store.js';
import { Payloads } from '../../src/payloads.js';
import { resultPayloadClaim } from '../../src/protocol/payload-pointer.js';
import {
  buildResultMeta,
  decodeResultMeta,
  encodeResultMeta,
  type ResultMeta,
} from '../../src/protocol/result-meta.js';

const NOW = 1_800_000_000_000;

/** A result as Python's backend stores it (kombu JSON), values a JavaScript number or Date would change. */
const PYTHON_META = (taskId: string): string =>
  '{"status": "SUCCESS", "result": [9007199254740993, 1000000000000000000000000000000, ' +
  '-1180591620717411303424, 5.0, -0.0, 1e+300, 1.5, 9007199254740992, 18446744073709551617, ' +
  '{"__type__": "datetime", "__value__": "2024-01-02T03:04:05.123456"}, ' +
  '{"__type__": "datetime", "__value__": "2024-01-02T03:04:05.000006+00:00"}, ' +
  '{"__type__": "decimal", "__value__": "1.10"}, {"f": 100.0, "nested": [2.0, [3e+20]]}], ' +
  `"traceback": null, "children": [], "date_done": "2024-01-02T03:04:05.123456+00:00", "task_id": "${taskId}"}`;

/** What exact mode reads from {@link PYTHON_META}. */
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

/** What the default mode reads: numbers (big ones rounded), `Date`s to the millisecond, the Decimal exact. */
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

const stored = (taskId: string): ResultMeta => decodeResultMeta(PYTHON_META(taskId), { exact: true });

describe('decodeResultMeta', () => {
  it('reads the golden values exactly in exact mode and as numbers and Dates by default', () => {
    expect(decodeResultMeta(PYTHON_META('t'), { exact: true }).result).toStrictEqual(EXACT);
    expect(decodeResultMeta(PYTHON_META('t')).result).toStrictEqual(DEFAULT);
  });
});

describe.each([
  { mode: 'exact', exact: true, expected: EXACT },
  { mode: 'default', exact: false, expected: DEFAULT },
])('results read in $mode mode', ({ exact, expected }) => {
  it('MemoryResultStore keeps what was written and reads it in its mode', async () => {
    const store = new MemoryResultStore(() => NOW, { exact });
    await store.put('t-1', stored('t-1'), { nowMs: NOW });
    expect((await store.get('t-1'))?.result).toStrictEqual(expected);
  });

  it('Payloads.resolveMeta reads an offloaded result in its mode', async () => {
    const files = new MemoryPayloadStore('bucket', 'celeriac/');
    const writer = new Payloads(files, {
      payloadThresholdBytes: 100,
      resultThresholdBytes: 100,
      maxPayloadBytes: 1_000_000,
    });
    const claim = await writer.offloadMeta(stored('t-2'));
    expect(resultPayloadClaim(claim)).toBeDefined();
    const reader = new Payloads(files, writer.limits, { exact });
    expect((await reader.resolveMeta(claim)).result).toStrictEqual(expected);
  });

  it('AsyncResult.get and GroupResult.get return the values in the app mode', async () => {
    const transport = createMemoryTransport(undefined, { exactValues: exact });
    const app = createApp({ transport, exactValues: exact });
    for (const id of ['m-1', 'm-2']) await transport.results.put(id, stored(id), { nowMs: NOW });
    expect(await app.asyncResult('m-1').get({ timeoutMs: 1000 })).toStrictEqual(expected);
    const group = app.client.groupResult('g-1', [app.asyncResult('m-1'), app.asyncResult('m-2')]);
    expect(await group.get({ timeoutMs: 1000 })).toStrictEqual([expected, expected]);
  });
});

describe('exact mode round trip', () => {
  it('writes back what it read, byte for byte as Python wrote it', async () => {
    const store = new MemoryResultStore(() => NOW, { exact: true });
    const read = decodeResultMeta(PYTHON_META('t-3'), { exact: true });
    await store.put('t-3', read, { nowMs: NOW });
    const again = await store.get('t-3');
    expect(again).toStrictEqual(read);
    expect(encodeResultMeta(again as ResultMeta)).toBe(PYTHON_META('t-3'));
  });

  it('a meta built in TypeScript with exact values is stored without loss', async () => {
    const store = new MemoryResultStore(() => NOW, { exact: true });
    const meta = buildResultMeta({
      taskId: 't-4',
      status: 'SUCCESS',
      result: EXACT,
      dateDone: new Date(NOW),
    });
    await store.put('t-4', meta, { nowMs: NOW });
    expect((await store.get('t-4'))?.result).toStrictEqual(EXACT);
  });
});
