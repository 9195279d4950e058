/**
 * kombu's msgpack serializer (`kombu/serialization.py` `register_msgpack`): `packb(value, use_bin_type=True)` to
 * write and `unpackb(data, raw=False)` to read. Strings travel as msgpack `str`, bytes as `bin`, and kombu uses
 * no extension types, so celeriac refuses every one (the timestamp extension included: Python would read it as
 * `msgpack.Timestamp`, not a datetime).
 *
 * | msgpack            | JavaScript                                                           |
 * |--------------------|----------------------------------------------------------------------|
 * | nil, bool, str     | `null`, boolean, string                                              |
 * | int                | number; `bigint` when outside ±(2^53 − 1), so no integer is rounded |
 * | float 32/64        | number; in exact mode an integral one is a `PythonFloat` (written back as float64) |
 * | bin                | `Uint8Array`                                                         |
 * | array, map         | array, plain object (keys as strings)                                |
 * | ext (any type)     | refused with a {@link DecodeError}                                   |
 */
import { ExtData, ExtensionCodec } from '@msgpack/msgpack';
import { DecodeError } from './errors.js';
import { PythonDateTime, PythonFloat } from './exact-values.js';
import { MAX_NESTING_DEPTH } from './limits.js';
import { decodeMsgpack, encodeMsgpack } from './msgpack-floats.js';
import { tooDeepToDecode } from './nesting-depth.js';
import { NO_FORM, type PlainDataCodec, toPlainData } from './plain-data.js';
import { setOwn } from './set-own.js';

/** kombu's content type for msgpack. */
export const MSGPACK_CONTENT_TYPE = 'application/x-msgpack';

const LAYER = 'msgpack body';
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const UINT64_MAX = 2n ** 64n - 1n;
const INT64_MIN = -(2n ** 63n);

// The timestamp extension (-1) is built in to the library; replacing its decoder makes it fail like any other
// extension instead of turning into a Date.
const refusingCodec = new ExtensionCodec();
refusingCodec.register({
  type: -1,
  encode: () => null,
  decode: () => {
    throw DecodeError.at(
      LAYER,
      'msgpack extension type -1 (timestamp) is not used by kombu; send times as ISO-8601 strings',
    );
  },
});

/**
 * Packs a value as kombu's msgpack serializer does.
 *
 * @throws {EncodeError} naming the path for values msgpack (and so kombu) has no form for: dates, decimals,
 *   UUIDs, class instances, `undefined` in an array, integers beyond 64 bits, nesting past
 *   {@link MAX_NESTING_DEPTH}.
 */
export function msgpackDumps(value: unknown): Uint8Array {
  return encodeMsgpack(toPlainData(value, MSGPACK_LEAVES), { useBigInt64: true, ignoreUndefined: true });
}

/**
 * Unpacks a kombu msgpack body; with `exact`, an integral float reads as {@link PythonFloat} (see
 * `exact-values.ts`), so it goes back to Python as a float.
 *
 * @throws {DecodeError} for truncated or malformed data, any extension type, map keys that are not strings or
 *   numbers, or nesting past {@link MAX_NESTING_DEPTH}.
 */
export function msgpackLoads(bytes: Uint8Array, options: { readonly exact?: boolean } = {}): unknown {
  if (nestsDeeperThanLimit(bytes)) throw tooDeepToDecode(LAYER);
  let decoded: unknown;
  try {
    decoded = decodeMsgpack(
      bytes,
      {
        extensionCodec: refusingCodec,
        useBigInt64: true,
        // Every element takes at least one byte, so no honest header claims more elements than there are bytes.
        maxArrayLength: bytes.byteLength,
        maxMapLength: bytes.byteLength,
      },
      options.exact === true,
    );
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw DecodeError.at(LAYER, `not valid msgpack (${(error as Error).message})`, { cause: error });
  }
  return fromMsgpack(decoded, 1);
}

function fromMsgpack(value: unknown, depth: number): unknown {
  if (typeof value === 'bigint') {
    return value <= MAX_SAFE && value >= MIN_SAFE ? Number(value) : value;
  }
  if (value === null || typeof value !== 'object' || value instanceof PythonFloat) return value;
  // A copy, not a view of the message (and not a Buffer: the same type as from JSON's `bytes` tag).
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (value instanceof ExtData) {
    throw DecodeError.at(
      LAYER,
      `msgpack extension type ${value.type} is not one kombu writes (kombu uses no extension types)`,
    );
  }
  if (depth > MAX_NESTING_DEPTH) throw tooDeepToDecode(LAYER);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let index = 0; index < value.length; index++) out.push(fromMsgpack(value[index], depth + 1));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    setOwn(out, key, fromMsgpack((value as Record<string, unknown>)[key], depth + 1));
  }
  return out;
}

/** How msgpack writes each leaf (see {@link toPlainData}). */
const MSGPACK_LEAVES: PlainDataCodec = {
  name: 'msgpack',
  noFormDetail:
    "kombu's msgpack (no datetime, Decimal or UUID); send it as a string, or use the json serializer, which tags them",
  leaf(value, fail) {
    if (typeof value === 'number') {
      // The library writes integers beyond 32 bits as float64; Python would read a float. As a bigint they go
      // out as int64/uint64, as msgpack-python packs them.
      return Number.isSafeInteger(value) && (value > 0xffffffff || value < -0x80000000)
        ? BigInt(value)
        : value;
    }
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'bigint') {
      if (value > UINT64_MAX || value < INT64_MIN)
        return fail('an integer beyond 64 bits has no msgpack form');
      return value;
    }
    // An integral float goes out as float64, as msgpack-python packs a Python float.
    if (value instanceof PythonFloat) return value;
    if (value instanceof PythonDateTime) return fail("kombu's msgpack has no datetime form");
    if (value instanceof Uint8Array) return value;
    return NO_FORM;
  },
};

/**
 * Whether msgpack `bytes` nest arrays and maps deeper than {@link MAX_NESTING_DEPTH}: one pass over the
 * structure (lengths are skipped, nothing is decoded), so a million nested one-element arrays are refused at
 * the limit instead of being built first. Malformed or truncated data returns false; the decoder refuses it.
 */
function nestsDeeperThanLimit(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Elements still to read in each open container, innermost last.
  const pending: number[] = [];
  let at = 0;
  const length = (size: 1 | 2 | 4): number => {
    if (at + size > bytes.length) return Number.NaN;
    const n = size === 1 ? view.getUint8(at) : size === 2 ? view.getUint16(at) : view.getUint32(at);
    at += size;
    return n;
  };
  while (at < bytes.length) {
    const byte = bytes[at++] as number;
    let children = 0;
    if (byte <= 0x7f || byte >= 0xe0 || (byte >= 0xc0 && byte <= 0xc3)) {
      // fixint, negative fixint, nil, (never used), false, true
    } else if (byte >= 0x80 && byte <= 0x8f) children = (byte & 0x0f) * 2;
    else if (byte >= 0x90 && byte <= 0x9f) children = byte & 0x0f;
    else if (byte >= 0xa0 && byte <= 0xbf) at += byte & 0x1f;
    else if (byte === 0xdc || byte === 0xdd) children = length(byte === 0xdc ? 2 : 4);
    else if (byte === 0xde || byte === 0xdf) children = length(byte === 0xde ? 2 : 4) * 2;
    else if (byte === 0xc4 || byte === 0xd9) at += length(1);
    else if (byte === 0xc5 || byte === 0xda) at += length(2);
    else if (byte === 0xc6 || byte === 0xdb) at += length(4);
    else if (byte === 0xc7) at += length(1) + 1;
    else if (byte === 0xc8) at += length(2) + 1;
    else if (byte === 0xc9) at += length(4) + 1;
    else if (byte >= 0xd4 && byte <= 0xd8) at += 1 + 2 ** (byte - 0xd4);
    else if (byte === 0xca || byte === 0xce || byte === 0xd2) at += 4;
    else if (byte === 0xcb || byte === 0xcf || byte === 0xd3) at += 8;
    else if (byte === 0xcc || byte === 0xd0) at += 1;
    else if (byte === 0xcd || byte === 0xd1) at += 2;
    if (Number.isNaN(children) || Number.isNaN(at)) return false;
    if (children > 0) {
      // A container: its slots are filled by what follows.
      pending.push(children);
      if (pending.length > MAX_NESTING_DEPTH) return true;
      continue;
    }
    // A complete element fills one slot of its container; a container whose last slot is filled is complete
    // in turn, and fills a slot of its own container.
    while (pending.length > 0) {
      const top = pending.length - 1;
      pending[top] = (pending[top] as number) - 1;
      if ((pending[top] as number) > 0) break;
      pending.pop();
    }
  }
  return false;
}
