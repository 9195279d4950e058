/**
 * kombu's JSON type tags (kombu >= 5.3): values JSON has no type for travel as
 * `{"__type__": T, "__value__": V}`. Encoding and decoding both ways:
 *
 * | Python            | `__type__`   | JavaScript value                                  |
 * |-------------------|--------------|---------------------------------------------------|
 * | `datetime`        | `"datetime"` | `Date` (millisecond precision; naive values read as UTC); {@link PythonDateTime} in exact mode |
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
import { PythonDateTime, PythonFloat } from './exact-values.js';
import { formatPythonDateTime, parseIsoDateTime } from './iso-time.js';
import { MAX_NESTING_DEPTH } from './limits.js';
import { tooDeepToDecode, tooDeepToEncode } from './nesting-depth.js';
import { type JsonValue, pythonJsonDumps, pythonJsonLoads } from './python-json.js';
import { setOwn } from './set-own.js';

/** A calendar date without a time, Python's `datetime.date`. */
export class CalendarDate {
  /** ISO-8601 date, e.g. `2024-01-02`. */
  readonly iso: string;
  constructor(iso: string) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(iso))
      throw EncodeError.at('date', `expected YYYY-MM-DD, got ${JSON.stringify(iso)}`);
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
      throw EncodeError.at('time', `expected HH:MM[:SS[.ffffff]][+HH:MM], got ${JSON.stringify(iso)}`);
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
      throw EncodeError.at('decimal', `expected a decimal number, got ${JSON.stringify(text)}`);
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
      throw EncodeError.at('uuid', `expected a UUID, got ${JSON.stringify(value)}`);
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

// `ignoreBOM` keeps a leading byte-order mark, as Python's `bytes.decode('utf-8')` does, so the bytes round-trip.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function tag(type: string, value: JsonValue): JsonValue {
  return { __type__: type, __value__: value };
}

/**
 * Turns a JavaScript value into plain JSON data, wrapping dates, decimals, UUIDs and bytes in kombu type tags.
 *
 * @throws {EncodeError} for values with no JSON or kombu form (functions, symbols, Maps, Sets, class instances
 *   other than the ones above), or nested deeper than {@link MAX_NESTING_DEPTH} levels, naming the path.
 */
export function toTaggedJson(value: unknown, path = '$'): JsonValue {
  return tagged(value, path, 1);
}

function tagged(value: unknown, path: string, depth: number): JsonValue {
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    typeof value === 'number'
  ) {
    return value;
  }
  if (typeof value === 'bigint') {
    // Written as its exact digits, which Python reads as an int of any size.
    return value as unknown as JsonValue;
  }
  if (typeof value !== 'object') throw EncodeError.at(path, `a ${typeof value} is not a JSON value`);
  if (depth > MAX_NESTING_DEPTH) throw tooDeepToEncode(path);
  if (Array.isArray(value)) {
    // A plain loop rather than a callback: one stack frame per level.
    const out: JsonValue[] = [];
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      if (item === undefined) throw EncodeError.at(`${path}[${index}]`, 'undefined is not a JSON value');
      out.push(tagged(item, `${path}[${index}]`, depth + 1));
    }
    return out;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw EncodeError.at(path, 'the Date is invalid');
    return tag('datetime', formatPythonDateTime(value));
  }
  if (value instanceof PythonFloat) return value as unknown as JsonValue;
  if (value instanceof PythonDateTime) return tag('datetime', value.iso);
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
    if (typeof maybeJson === 'function') return tagged(maybeJson.call(value), path, depth);
    const kind = (value as object).constructor?.name ?? 'object';
    throw EncodeError.at(
      path,
      `a ${kind} has no JSON form; pass plain objects, arrays, or the protocol value types`,
    );
  }
  const out: Record<string, JsonValue> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    setOwn(out, key, tagged(item, `${path}.${key}`, depth + 1));
  }
  return out;
}

/**
 * Reverses {@link toTaggedJson} on parsed JSON: tagged objects become their JavaScript values. A `__proto__` key
 * stays an own key of its object; no prototype is ever replaced.
 *
 * @throws {DecodeError} naming `layer` for an unknown or malformed type tag, or for nesting deeper than
 *   {@link MAX_NESTING_DEPTH} levels.
 */
export function fromTaggedJson(
  value: unknown,
  layer: string,
  options: { readonly exact?: boolean } = {},
): unknown {
  try {
    return untag(value, layer, 1, options.exact === true);
  } catch (error) {
    // The depth limit keeps recursion far from the stack's end; this only guards a caller already deep in it.
    if (error instanceof RangeError) {
      throw DecodeError.at(layer, 'the value nests too deeply to read', { cause: error });
    }
    throw error;
  }
}

function untag(value: unknown, layer: string, depth: number, exact: boolean): unknown {
  if (value === null || typeof value !== 'object' || value instanceof PythonFloat) return value;
  if (depth > MAX_NESTING_DEPTH) throw tooDeepToDecode(layer);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let index = 0; index < value.length; index++) {
      out.push(untag(value[index], layer, depth + 1, exact));
    }
    return out;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 2 && Object.hasOwn(record, '__type__') && Object.hasOwn(record, '__value__')) {
    return decodeTag(record.__type__, record.__value__, layer, exact);
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) setOwn(out, key, untag(record[key], layer, depth + 1, exact));
  return out;
}

function decodeTag(type: unknown, raw: unknown, layer: string, exact: boolean): unknown {
  const fail = (detail: string): never => {
    throw DecodeError.at(layer, `type tag ${JSON.stringify(type)}: ${detail}`);
  };
  switch (type) {
    case 'datetime': {
      if (typeof raw !== 'string') return fail('expected an ISO-8601 string');
      const parsed = parseIsoDateTime(raw);
      if (parsed === undefined) return fail(`cannot parse ${JSON.stringify(raw)}`);
      return exact ? new PythonDateTime(raw) : parsed;
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
export function kombuJsonLoads(
  text: string,
  layer: string,
  options: { readonly exact?: boolean } = {},
): unknown {
  return fromTaggedJson(pythonJsonLoads(text, layer, options), layer, options);
}
