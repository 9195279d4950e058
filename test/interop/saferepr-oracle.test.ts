/**
 * Holds `argsRepr`/`kwargsRepr` to Celery's own `saferepr`: every case is sent to the venv's Python as kombu
 * JSON (so Python rebuilds the real types: datetime, Decimal, UUID, bytes, ...), Python computes
 * `saferepr(tuple(args), 1024)` and `saferepr(kwargs, 1024)` exactly as `celery/app/amqp.py` `as_task_v2` does for
 * the `argsrepr`/`kwargsrepr` headers, and the test compares the strings.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { argsRepr, kwargsRepr } from '../../src/protocol/python-repr.js';
import { CalendarDate, Decimal, kombuJsonDumps, TimeOfDay, Uuid } from '../../src/protocol/type-tags.js';
import { runPython } from './helpers/python-celery.js';

interface ReprCase {
  readonly name: string;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf-8'));
const words = (count: number): string => Array.from({ length: count }, (_, i) => `word${i}`).join(' ');

const CASES: readonly ReprCase[] = [
  { name: 'no arguments', args: [], kwargs: {} },
  { name: 'a one-element tuple', args: [1], kwargs: { only: 1 } },
  { name: 'a one-element tuple holding a list', args: [[1, 2]], kwargs: {} },
  {
    name: 'lists nested four deep (Celery stops at three levels)',
    args: [[1, [2, [3, [4, [5]]]]], [[[[]]]]],
    kwargs: { a: { b: { c: { d: 1 } } }, l: [[[['deep']]]] },
  },
  {
    name: 'dicts and empty containers',
    args: [{ x: 1, 'y z': [1, 2], empty: {}, list: [] }],
    kwargs: { nested: { list: [1, { k: 'v' }] }, 'key with space': null },
  },
  {
    name: 'strings with quotes, backslashes and control characters',
    args: ["it's", 'say "hi"', 'back\\slash', 'line1\nline2', 'tab\there', "''", '', 'cr\r'],
    kwargs: { quote: "'", both: `'"`, newline: '\n' },
  },
  {
    name: 'non-ASCII strings, keys and astral characters',
    args: ['café', 'Müller', '中文', '🎉 party', 'a\u00a0b', 'é🎉'],
    kwargs: { naïve: 'ü', emoji: '🎉', 中: '文' },
  },
  {
    name: 'bytes: valid UTF-8, invalid UTF-8 and empty',
    args: [utf8('abc'), bytes(0xff, 0x00), utf8('é'), bytes(), bytes(0xc3)],
    kwargs: { b: utf8("it's"), bb: bytes(0x80, 0x81, 0x82) },
  },
  {
    name: 'floats in fixed and scientific notation, and non-finite values',
    args: [1.5, 0.1, 1e-5, 0.0001, 1e16, 1.5e16, 1e22, -0.5, 2.5e-300, 123456789.123, -0, Number.NaN],
    kwargs: { inf: Number.POSITIVE_INFINITY, ninf: Number.NEGATIVE_INFINITY, third: 1 / 3 },
  },
  {
    name: 'integers, large integers, booleans and None',
    args: [0, -7, 2 ** 53, 12345678901234567000, 1e21, true, false, null],
    kwargs: { t: true, n: null, big: 9007199254740991 },
  },
  {
    name: 'datetimes (aware UTC, from a JavaScript Date)',
    args: [
      new Date('2024-01-02T03:04:05.123Z'),
      new Date('2024-01-02T03:04:05Z'),
      new Date('2024-01-02T03:04:00Z'),
      new Date('2024-01-02T00:00:00Z'),
      new Date('1999-12-31T23:59:59.001Z'),
    ],
    kwargs: { when: new Date('2030-06-15T12:30:45.500Z') },
  },
  {
    name: 'dates and times of day',
    args: [
      new CalendarDate('2024-01-02'),
      new CalendarDate('2024-02-29'),
      new TimeOfDay('01:02:03'),
      new TimeOfDay('01:02'),
      new TimeOfDay('00:00:00'),
      new TimeOfDay('01:02:03.000450'),
      new TimeOfDay('01:02:03.456789'),
      new TimeOfDay('13:00:00.5'),
    ],
    kwargs: { t: new TimeOfDay('23:59:59.999999'), d: new CalendarDate('0001-01-01') },
  },
  {
    name: 'times of day with a UTC offset',
    args: [
      new TimeOfDay('01:02:03+01:00'),
      new TimeOfDay('01:02:03.5-05:30'),
      new TimeOfDay('01:02:03+00:00'),
    ],
    kwargs: {},
  },
  {
    name: 'decimals and UUIDs',
    args: [
      new Decimal('1.10'),
      new Decimal('-0.5'),
      new Decimal('1E+3'),
      new Decimal('0'),
      new Decimal('NaN'),
    ],
    kwargs: {
      u: new Uuid('12345678-1234-5678-1234-567812345678'),
      d: new Decimal('123456789012345678901234567890.000001'),
    },
  },
  {
    name: 'a string past 1024 characters (truncated at the last space)',
    args: [words(400)],
    kwargs: { text: words(400) },
  },
  {
    name: 'a string past 1024 characters without spaces',
    args: ['x'.repeat(3000)],
    kwargs: { text: 'y'.repeat(2000) },
  },
  {
    name: 'a long string of astral characters (code points, not UTF-16 units, count)',
    args: ['🎉'.repeat(700)],
    kwargs: { text: `${'中🎉 '.repeat(400)}` },
  },
  {
    name: 'a string with a quote right at the truncation point',
    args: [`${'a'.repeat(1020)}'''' tail`],
    kwargs: { q: `${"'".repeat(1100)}` },
  },
  {
    name: 'a list past 1024 characters (", ..." and the closing brackets)',
    args: [Array.from({ length: 500 }, (_, i) => i)],
    kwargs: { many: Array.from({ length: 400 }, (_, i) => `item-${i}`) },
  },
  {
    name: 'nested lists past 1024 characters',
    args: [Array.from({ length: 60 }, (_, i) => [i, [`s${i}`, i * 1.5]]), { after: 'the cut' }],
    kwargs: { rows: Array.from({ length: 80 }, (_, i) => ({ id: i, tags: ['a', 'b'] })) },
  },
  {
    name: 'a dict with many keys past 1024 characters',
    args: [],
    kwargs: Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`key${i}`, i])),
  },
  {
    name: 'long bytes past 1024 (valid and invalid UTF-8)',
    args: [utf8('b'.repeat(1500)), new Uint8Array(1500).fill(0xfe)],
    kwargs: { blob: utf8('é'.repeat(700)) },
  },
  {
    name: 'many short arguments after a long one (every later token is dropped)',
    args: ['z'.repeat(1010), 1, 2, [3, 4], { five: 5 }, 'six'],
    kwargs: { first: 'w'.repeat(1000), second: [1, 2, 3], third: { x: [1] } },
  },
  {
    name: 'a dict key past the limit',
    args: [{ ['k'.repeat(1100)]: 1 }],
    kwargs: { ['q'.repeat(1030)]: 'v' },
  },
  {
    name: 'mixed types in one call',
    args: [
      1,
      'two',
      [3.5, null, true],
      { four: new Decimal('4.00'), when: new Date('2024-05-06T07:08:09.010Z') },
      utf8('bytes'),
      new Uuid('{ABCDEFAB-CDEF-ABCD-EFAB-CDEFABCDEFAB}'),
    ],
    kwargs: { date: new CalendarDate('2020-02-20'), t: new TimeOfDay('20:20'), nested: [[{ a: [1] }]] },
  },
];

/** Python that prints `[[argsrepr, kwargsrepr], ...]` for a base64 JSON list of kombu-JSON `[args, kwargs]`. */
const pythonProgram = (payloadBase64: string): string =>
  [
    'import base64, json',
    'from celery.utils.saferepr import saferepr',
    'from kombu.utils.json import loads',
    `cases = json.loads(base64.b64decode("${payloadBase64}").decode("utf-8"))`,
    'out = []',
    'for text in cases:',
    '    args, kwargs = loads(text)',
    '    out.append([saferepr(tuple(args), 1024), saferepr(kwargs, 1024)])',
    'print(json.dumps(out))',
  ].join('\n');

describe("argsRepr and kwargsRepr against Celery's saferepr", () => {
  let python: [string, string][] = [];

  beforeAll(async () => {
    const payload = Buffer.from(
      JSON.stringify(CASES.map((c) => kombuJsonDumps([c.args, c.kwargs]))),
      'utf-8',
    ).toString('base64');
    python = await runPython<[string, string][]>(pythonProgram(payload), { timeoutMs: 30_000 });
    expect(python).toHaveLength(CASES.length);
  });

  it.each(CASES.map((c, index) => [c.name, index] as const))('argsrepr matches for %s', (_name, index) => {
    const c = CASES[index] as ReprCase;
    expect(argsRepr(c.args)).toBe(python[index]?.[0]);
  });

  it.each(CASES.map((c, index) => [c.name, index] as const))('kwargsrepr matches for %s', (_name, index) => {
    const c = CASES[index] as ReprCase;
    expect(kwargsRepr(c.kwargs)).toBe(python[index]?.[1]);
  });
});
