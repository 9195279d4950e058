/**
 * The walk the msgpack and YAML encoders share: arrays and plain objects are copied (keys set as own
 * properties, `undefined` members of objects dropped as `JSON.stringify` drops them), nesting is bounded, and
 * every other value is handed to the serializer's `leaf`, which returns the value to write or refuses it.
 */
import { EncodeError } from './errors.js';
import { MAX_NESTING_DEPTH } from './limits.js';
import { tooDeepToEncode } from './nesting-depth.js';
import { setOwn } from './set-own.js';

/** What `leaf` returns for a value the serializer has no form for; the walk then refuses it, naming its kind. */
export const NO_FORM: unique symbol = Symbol('no form');

/** How one serializer writes the values that are not arrays or plain objects. */
export interface PlainDataCodec {
  /** The serializer's name in messages: ``Cannot encode $.x as <name>``. */
  readonly name: string;
  /**
   * The value to write for `value` (a primitive, a class instance, bytes), {@link NO_FORM} when the
   * serializer has none; `fail(detail)` refuses it with a detail of its own.
   */
  leaf(value: unknown, fail: (detail: string) => never): unknown;
  /** Said after ``a <Class> has no form in ...`` for class instances without one, with what to do instead. */
  readonly noFormDetail: string;
}

/**
 * Copies `value` into the data a serializer library writes, as `codec` says each leaf goes out.
 *
 * @throws {EncodeError} naming the path for a value `codec` has no form for, `undefined` in an array, or
 *   nesting past {@link MAX_NESTING_DEPTH}.
 */
export function toPlainData(value: unknown, codec: PlainDataCodec, path = '$', depth = 1): unknown {
  const fail = (detail: string): never => {
    throw new EncodeError(`Cannot encode ${path} as ${codec.name}: ${detail}`, { path });
  };
  if (Array.isArray(value)) {
    if (depth > MAX_NESTING_DEPTH) throw tooDeepToEncode(path);
    const out: unknown[] = [];
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      if (item === undefined) fail(`[${index}] is undefined`);
      out.push(toPlainData(item, codec, `${path}[${index}]`, depth + 1));
    }
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      if (depth > MAX_NESTING_DEPTH) throw tooDeepToEncode(path);
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        if (item === undefined) continue;
        setOwn(out, key, toPlainData(item, codec, `${path}.${key}`, depth + 1));
      }
      return out;
    }
  }
  const written = codec.leaf(value, fail);
  if (written !== NO_FORM) return written;
  if (typeof value !== 'object' || value === null) return fail(`a ${typeof value} has no ${codec.name} form`);
  const kind = (value as object).constructor?.name ?? 'object';
  return fail(`a ${kind} has no form in ${codec.noFormDetail}`);
}
