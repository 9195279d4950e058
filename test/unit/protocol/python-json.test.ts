import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError } from '../../../src/protocol/errors.js';
import {
  pythonFloatRepr,
  pythonJsonDumps,
  pythonJsonLoads,
  pythonJsonString,
} from '../../../src/protocol/python-json.js';

/**
 * `py_encode_basestring_ascii` of Python 3.11's `json/encoder.py`, transcribed code unit by code unit: the
 * reference the fast writer must match on every string.
 */
function pyEncodeBasestringAscii(text: string): string {
  const table: Record<string, string> = {
    '"': '\\"',
    '\\': '\\\\',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\b': '\\b',
    '\f': '\\f',
  };
  let out = '"';
  for (const unit of Array.from({ length: text.length }, (_, i) => text.charAt(i))) {
    const code = unit.charCodeAt(0);
    out += table[unit] ?? (code < 0x20 || code > 0x7e ? `\\u${code.toString(16).padStart(4, '0')}` : unit);
  }
  return `${out}"`;
}

describe('pythonJsonDumps', () => {
  it('uses Python separators and keeps key order', () => {
    expect(pythonJsonDumps([[2, 3], {}, { callbacks: null, errbacks: null, chain: null, chord: null }])).toBe(
      '[[2, 3], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]',
    );
    expect(pythonJsonDumps({ b: 1, a: [true, false, null] })).toBe('{"b": 1, "a": [true, false, null]}');
  });

  it('escapes like ensure_ascii, with lowercase hex and surrogate pairs', () => {
    // Expected text printed by Python 3.11: json.dumps({'s': 'café ü 中 😀 "q" \\ \n \x7f \x00 /'})
    expect(pythonJsonDumps({ s: 'café ü 中 😀 "q" \\ \n \x7f \x00 /' })).toBe(
      '{"s": "caf\\u00e9 \\u00fc \\u4e2d \\ud83d\\ude00 \\"q\\" \\\\ \\n \\u007f \\u0000 /"}',
    );
  });

  it("escapes every string as Python's py_encode_basestring_ascii does", () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: codeUnit })),
        (text) => {
          expect(pythonJsonString(text)).toBe(pyEncodeBasestringAscii(text));
        },
      ),
      { numRuns: 2_000 },
    );
    for (const text of ['\ud800', '\udfff\ud800', '\x7f\x80', 'plain ascii_id-123', '']) {
      expect(pythonJsonString(text)).toBe(pyEncodeBasestringAscii(text));
    }
  });

  it('writes floats as Python repr does', () => {
    // Pairs printed by Python 3.11: repr(float) for each value.
    const cases: Array<[number, string]> = [
      [1.5, '1.5'],
      [0.1, '0.1'],
      [1e-5, '1e-05'],
      [1e15 + 0.5, '1000000000000000.5'],
      [-2.5e-7, '-2.5e-07'],
      [0.0001, '0.0001'],
      [100.25, '100.25'],
      [1 / 3, '0.3333333333333333'],
      [-0, '-0.0'],
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
    ];
    for (const [value, text] of cases) expect(pythonJsonDumps(value)).toBe(text);
    expect(pythonFloatRepr(1e16)).toBe('1e+16');
    expect(pythonFloatRepr(123456789012345680)).toBe('1.2345678901234568e+17');
    expect(pythonFloatRepr(1e300)).toBe('1e+300');
  });

  it('writes integral numbers as Python ints', () => {
    expect(pythonJsonDumps([0, 5, -7, 2 ** 53, 1e21])).toBe(
      '[0, 5, -7, 9007199254740992, 1000000000000000000000]',
    );
  });

  it('writes an integer beyond 2^53 as the exact value of its double, as Python writes int(that float)', () => {
    // JavaScript's shortest text for these (`18446744073709552000`) names another integer in Python.
    expect(pythonJsonDumps([2 ** 64, 2 ** 60 + 2 ** 10, -(2 ** 70)])).toBe(
      `[${BigInt(2 ** 64)}, ${BigInt(2 ** 60 + 2 ** 10)}, ${BigInt(-(2 ** 70))}]`,
    );
    expect(pythonJsonDumps([2 ** 64])).toBe('[18446744073709551616]');
  });

  it('throws EncodeError naming the path for values JSON cannot hold', () => {
    expect(() => pythonJsonDumps({ a: [1, () => 1] })).toThrow(EncodeError);
    expect(() => pythonJsonDumps({ a: [1, () => 1] })).toThrow(/\$\.a\[1\]/);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => pythonJsonDumps(circular)).toThrow(/circular/);
    expect(() => pythonJsonDumps([undefined])).toThrow(/undefined/);
    expect(() => pythonJsonDumps(new Map())).toThrow(/Map is not a plain object/);
  });
});

describe('pythonJsonLoads', () => {
  it('reads the NaN and Infinity Python writes, but not inside strings', () => {
    expect(pythonJsonLoads('[NaN, Infinity, -Infinity, "NaN"]', 'test')).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      'NaN',
    ]);
  });

  it('throws DecodeError naming the layer for text that is not JSON', () => {
    expect(() => pythonJsonLoads('{nope', 'result meta')).toThrow(DecodeError);
    expect(() => pythonJsonLoads('{nope', 'result meta')).toThrow(
      /Cannot decode result meta: not valid JSON/,
    );
  });
});
