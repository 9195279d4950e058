/**
 * kombu's JSON type tags (kombu >= 5.3): values JSON has no type for travel as
 * `{"__type__": T, "__value__": V}`. Encoding and decoding both ways:
 *
 * | Python            | `__type__`   | JavaScript value                                  |
 * |-------------------|--------------|---------------------------------------------------|
 * | `datetime`        | `"datetime"` | `Date` (millisecond precision; naive values read as UTC) |
 * | `date`            | `"date"`     | {@link CalendarDate}                              |
 * | `time`            | `"time"`     | {@link TimeOfDay}                                 |
 * | `Decimal`         | `"decimal"`  | {@link Decimal} (keeps the exact digits)          |
 * | `UUID`            | `"uuid"`     | {@link Uuid}                                      |
 * | `bytes` (UTF-8)   | `"bytes"`    | `Uint8Array`                                      |
 * | `bytes` (other)   | `"base64"`   | `Uint8Array`                                      |
 *
 * Any other `__type__` is refused, as kombu refuses it. Older kombu (<= 5.2) wrote plain ISO strings and numbers
 * as strings; those decode as strings, unchanged.
 */
import { DecodeError, EncodeError } from './errors.js';
import { formatPythonDateTime, parseIsoDateTime } from './iso-time.js';
import { type JsonValue, pythonJsonDumps, pythonJsonLoads } from './python-json.js';

/** A calendar date without a time, Python's `datetime.date`. */
export class CalendarDate {
  /** ISO-8601 date, e.g. `2024-01-02`. */
  readonly iso: string;
  constructor(iso: string) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(iso))
      throw new EncodeError('date', `expected YYYY-MM-DD, got ${JSON.stringify(iso)}`);
    this.iso = iso;
  }
  toString(): string {
    return this.iso;
  }
}

/** A time of day, Python's `datetime.time`, kept as its ISO text (`01:02:03`, `01:02:03.000006+01:00`). */
export class TimeOfDay {
  readonly iso: string;
  constructor(iso: string) {
    if (!/^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([+-]\d{2}:\d{2}(:\d{2})?|Z)?$/.test(iso)) {
      throw new EncodeError('time', `expected HH:MM[:SS[.ffffff]][+HH:MM], got ${JSON.stringify(iso)}`);
    }
    this.iso = iso;
  }
  toString(): string {
    return this.iso;
  }
}

/** An exact decimal number, Python's `decimal.Decimal`, kept as its text so `1.10` stays `1.10`. */
export class Decimal {
  readonly value: string;
  constructor(value: string | number) {
    const text = String(value);
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?(NaN|sNaN|Infinity|Inf)$/.test(text)) {
      throw new EncodeError('decimal', `expected a decimal number, got ${JSON.stringify(text)}`);
    }
    this.value = text;
  }
  toString(): string {
    return this.value;
  }
  toNumber(): number {
    return Number(this.value);
  }
}

/** A UUID, Python's `uuid.UUID`, in canonical lowercase hyphenated form. */
export class Uuid {
  readonly value: string;
  constructor(value: string) {
    const hex = value
      .replace(/[{}-]/g, '')
      .replace(/^urn:uuid:/i, '')
      .toLowerCase();
    if (!/^[0-9a-f]{32}$/.test(hex))
      throw new EncodeError('uuid', `expected a UUID, got ${JSON.stringify(value)}`);
    this.value = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  /** The 32 hex digits kombu writes as `{"hex": ...}`. */
  get hex(): string {
    return this.value.replace(/-/g, '');
  }
  toString(): string {
    return this.value;
  }
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function tag(type: string, value: JsonValue): JsonValue {
  return { __type__: type, __value__: value };
}

/**
 * Turns a JavaScript value into plain JSON data, wrapping dates, decimals, UUIDs and bytes in kombu type tags.
 *
 * @throws {EncodeError} for values with no JSON or kombu form (functions, symbols, Maps, Sets, class instances
 *   other than the ones above), naming the path.
 */
export function toTaggedJson(value: unknown, path = '$'): JsonValue {
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    typeof value === 'number'
  ) {
    return value;
  }
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new EncodeError(path, 'a bigint outside the safe integer range has no lossless JSON form here');
    }
    return Number(value);
  }
  if (typeof value !== 'object') throw new EncodeError(path, `a ${typeof value} is not a JSON value`);
  if (Array.isArray(value)) {
    return value.map((item, index) => {
      if (item === undefined) throw new EncodeError(`${path}[${index}]`, 'undefined is not a JSON value');
      return toTaggedJson(item, `${path}[${index}]`);
    });
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new EncodeError(path, 'the Date is invalid');
    return tag('datetime', formatPythonDateTime(value));
  }
  if (value instanceof CalendarDate) return tag('date', value.iso);
  if (value instanceof TimeOfDay) return tag('time', value.iso);
  if (value instanceof Decimal) return tag('decimal', value.value);
  if (value instanceof Uuid) return tag('uuid', { hex: value.hex });
  if (value instanceof Uint8Array) {
    try {
      return tag('bytes', utf8Decoder.decode(value));
    } catch {
      return tag('base64', Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'));
    }
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const maybeJson = (value as { toJSON?: () => unknown }).toJSON;
    if (typeof maybeJson === 'function') return toTaggedJson(maybeJson.call(value), path);
    const kind = (value as object).constructor?.name ?? 'object';
    throw new EncodeError(
      path,
      `a ${kind} has no JSON form; pass plain objects, arrays, or the protocol value types`,
    );
  }
  const out: Record<string, JsonValue> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    out[key] = toTaggedJson(item, `${path}.${key}`);
  }
  return out;
}

/** Reverses {@link toTaggedJson} on parsed JSON: tagged objects become their JavaScript values. */
export function fromTaggedJson(value: unknown, layer: string): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => fromTaggedJson(item, layer));
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 2 && '__type__' in record && '__value__' in record) {
    return decodeTag(record.__type__, record.__value__, layer);
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = fromTaggedJson(record[key], layer);
  return out;
}

function decodeTag(type: unknown, raw: unknown, layer: string): unknown {
  const fail = (detail: string): never => {
    throw new DecodeError(layer, `type tag ${JSON.stringify(type)}: ${detail}`);
  };
  switch (type) {
    case 'datetime': {
      if (typeof raw !== 'string') return fail('expected an ISO-8601 string');
      const parsed = parseIsoDateTime(raw);
      return parsed ?? fail(`cannot parse ${JSON.stringify(raw)}`);
    }
    case 'date':
      if (typeof raw !== 'string') return fail('expected an ISO-8601 date string');
      try {
        return new CalendarDate(raw);
      } catch (error) {
        return fail(error instanceof Error ? error.message : String(error));
      }
    case 'time':
      if (typeof raw !== 'string') return fail('expected an ISO-8601 time string');
      try {
        return new TimeOfDay(raw);
      } catch (error) {
        return fail(error instanceof Error ? error.message : String(error));
      }
    case 'decimal':
      if (typeof raw !== 'string') return fail('expected a decimal string');
      try {
        return new Decimal(raw);
      } catch (error) {
        return fail(error instanceof Error ? error.message : String(error));
      }
    case 'uuid': {
      const hex = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).hex : raw;
      if (typeof hex !== 'string') return fail('expected {"hex": "..."}');
      try {
        return new Uuid(hex);
      } catch (error) {
        return fail(error instanceof Error ? error.message : String(error));
      }
    }
    case 'bytes':
      if (typeof raw !== 'string') return fail('expected a string');
      return new Uint8Array(Buffer.from(raw, 'utf-8'));
    case 'base64':
      if (typeof raw !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(raw))
        return fail('expected standard base64');
      return new Uint8Array(Buffer.from(raw, 'base64'));
    default:
      return fail('unsupported type (kombu registers datetime, date, time, decimal, uuid, bytes and base64)');
  }
}

/**
 * kombu's `json.dumps`: type tags, then Python's byte layout.
 *
 * @example
 * kombuJsonDumps({ when: new Date(0) }) // '{"when": {"__type__": "datetime", "__value__": "1970-01-01T00:00:00+00:00"}}'
 */
export function kombuJsonDumps(value: unknown): string {
  return pythonJsonDumps(toTaggedJson(value));
}

/** kombu's `json.loads`: Python's JSON (with NaN/Infinity), then type tags. */
export function kombuJsonLoads(text: string, layer: string): unknown {
  return fromTaggedJson(pythonJsonLoads(text, layer), layer);
}
