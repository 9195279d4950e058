import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError } from '../../../src/protocol/errors.js';
import {
  CalendarDate,
  Decimal,
  kombuJsonDumps,
  kombuJsonLoads,
  TimeOfDay,
  Uuid,
} from '../../../src/protocol/type-tags.js';

describe('kombu type tags', () => {
  it('encodes every tagged type as kombu 5.6 does', () => {
    // Expected text is kombu's output for the same Python values (kombu 5.6 `kombu/utils/json.py`, as Python prints it).
    const text = kombuJsonDumps([
      [new Date('2024-01-02T03:04:05.000Z'), new CalendarDate('2024-01-02')],
      {
        t: new TimeOfDay('01:02:03'),
        d: new Decimal('1.10'),
        u: new Uuid('12345678-1234-5678-1234-567812345678'),
        b: new Uint8Array(Buffer.from('abc')),
        bb: new Uint8Array([0xff, 0x00]),
        s: 'café',
      },
    ]);
    expect(text).toBe(
      '[[{"__type__": "datetime", "__value__": "2024-01-02T03:04:05+00:00"}, {"__type__": "date", "__value__": "2024-01-02"}], ' +
        '{"t": {"__type__": "time", "__value__": "01:02:03"}, "d": {"__type__": "decimal", "__value__": "1.10"}, ' +
        '"u": {"__type__": "uuid", "__value__": {"hex": "12345678123456781234567812345678"}}, ' +
        '"b": {"__type__": "bytes", "__value__": "abc"}, "bb": {"__type__": "base64", "__value__": "/wA="}, "s": "caf\\u00e9"}]',
    );
  });

  it('writes milliseconds as six-digit microseconds', () => {
    expect(kombuJsonDumps(new Date('2024-01-02T03:04:05.120Z'))).toBe(
      '{"__type__": "datetime", "__value__": "2024-01-02T03:04:05.120000+00:00"}',
    );
  });

  it('decodes every tagged type back to its JavaScript value', () => {
    const value = kombuJsonLoads(
      '{"dt": {"__type__": "datetime", "__value__": "2024-01-02T03:04:05.000006+01:00"}, ' +
        '"naive": {"__type__": "datetime", "__value__": "2024-01-02T03:04:05"}, ' +
        '"d": {"__type__": "date", "__value__": "2024-01-02"}, "t": {"__type__": "time", "__value__": "01:02:03"}, ' +
        '"dec": {"__type__": "decimal", "__value__": "1.10"}, "u": {"__type__": "uuid", "__value__": {"hex": "12345678123456781234567812345678"}}, ' +
        '"b": {"__type__": "bytes", "__value__": "abc"}, "bb": {"__type__": "base64", "__value__": "/wA="}}',
      'test',
    ) as Record<string, unknown>;
    expect(value.dt).toEqual(new Date('2024-01-02T02:04:05.000Z'));
    expect(value.naive).toEqual(new Date('2024-01-02T03:04:05.000Z'));
    expect(value.d).toEqual(new CalendarDate('2024-01-02'));
    expect(value.t).toEqual(new TimeOfDay('01:02:03'));
    expect(String(value.dec)).toBe('1.10');
    expect(String(value.u)).toBe('12345678-1234-5678-1234-567812345678');
    expect(Buffer.from(value.b as Uint8Array).toString()).toBe('abc');
    expect([...(value.bb as Uint8Array)]).toEqual([0xff, 0x00]);
  });

  it('leaves objects with other keys alone', () => {
    expect(kombuJsonLoads('{"__type__": "x", "__value__": 1, "other": 2}', 'test')).toEqual({
      __type__: 'x',
      __value__: 1,
      other: 2,
    });
  });

  it('refuses an unknown type tag, as kombu does', () => {
    expect(() => kombuJsonLoads('{"__type__": "set", "__value__": [1]}', 'task body')).toThrow(DecodeError);
    expect(() => kombuJsonLoads('{"__type__": "set", "__value__": [1]}', 'task body')).toThrow(
      /unsupported type/,
    );
  });

  it('refuses values with no JSON form, naming the path', () => {
    expect(() => kombuJsonDumps({ when: [new Set([1])] })).toThrow(EncodeError);
    expect(() => kombuJsonDumps({ when: [new Set([1])] })).toThrow(/\$\.when\[0\].*Set/);
    expect(() => new Decimal('1.2.3')).toThrow(EncodeError);
    expect(() => new Uuid('nope')).toThrow(/expected a UUID/);
  });

  it('keeps a leading byte-order mark in bytes, as Python does', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, 0x61]);
    const text = kombuJsonDumps(bytes);
    expect(text).toBe('{"__type__": "bytes", "__value__": "\\ufeffa"}');
    expect([...(kombuJsonLoads(text, 'test') as Uint8Array)]).toEqual([...bytes]);
  });
});
