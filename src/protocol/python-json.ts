/**
 * JSON as Python's `json.dumps` writes it with default settings, which is what kombu's serializer produces:
 * `", "` and `": "` separators, `ensure_ascii` (every non-ASCII character as a lowercase `\uXXXX` escape,
 * astral characters as surrogate pairs), keys in insertion order, floats in Python's shortest `repr`
 * (`1e-05`, `1e+16`), and bare `NaN`/`Infinity`. Byte equality with Python matters because the kombu envelope
 * and the task body are compared and signed as bytes.
 *
 * Type-tagged values (dates, decimals, bytes, ...) are handled by `type-tags.ts`, which maps them to plain JSON
 * before this writer sees them.
 */
import { DecodeError, EncodeError } from './errors.js';
import { PythonFloat } from './exact-values.js';
import { MAX_NESTING_DEPTH } from './limits.js';
import { nestsDeeperThan, tooDeepToDecode, tooDeepToEncode } from './nesting-depth.js';

/** A value this writer can emit: JSON's data model, with Python's non-finite floats allowed. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Text that needs no escape at all: printable ASCII without `"` and `\\`, as most keys and ids are. */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** What `JSON.stringify` leaves unescaped and Python escapes: DEL and everything above ASCII. */
const ABOVE_ASCII = /[\x7f-\uffff]/g;
const escapeCodeUnit = (ch: string): string => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Python's `json.encoder.py_encode_basestring_ascii`: escapes everything outside printable ASCII.
 * `JSON.stringify` already writes `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f` and the other control characters
 * (`\u001f`) as Python does, and lone surrogates as lowercase `\udXXX`; what is left is to escape each UTF-16 code
 * unit from DEL up, so astral characters become surrogate pairs as in Python.
 */
export function pythonJsonString(text: string): string {
  if (PLAIN_ASCII.test(text)) return `"${text}"`;
  return JSON.stringify(text).replace(ABOVE_ASCII, escapeCodeUnit);
}

/**
 * Python's `repr(float)`: the shortest digits that round-trip (as JavaScript also finds them), written in
 * fixed notation when the decimal exponent is in [-4, 16) and in scientific notation otherwise, with a sign and
 * at least two exponent digits (`1e-05`, `1.5e+300`).
 */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent >= -4 && exponent < 16) {
    let fixed: string;
    if (exponent < 0) {
      fixed = `0.${'0'.repeat(-exponent - 1)}${digits}`;
    } else if (digits.length > exponent + 1) {
      fixed = `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
    } else {
      fixed = `${digits}${'0'.repeat(exponent + 1 - digits.length)}.0`;
    }
    return sign + fixed;
  }
  const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const expSign = exponent < 0 ? '-' : '+';
  return `${sign}${head}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/**
 * A JavaScript number as Python would write it. Integral values are written as Python ints (`5`), because a
 * JavaScript number carries no int/float distinction and integers are by far the common case; other values
 * use {@link pythonFloatRepr}. An integer beyond 2^53 is written as the exact value of the double
 * (`18446744073709551616`), not JavaScript's shortest text for it (`18446744073709552000`), so Python reads the
 * same number the double holds.
 */
export function pythonNumber(value: number): string {
  if (Number.isInteger(value) && !Object.is(value, -0)) {
    return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
  }
  return pythonFloatRepr(value);
}

/**
 * Writes `value` exactly as Python's `json.dumps(value)` would.
 *
 * @throws {EncodeError} for values JSON cannot hold (functions, symbols, bigints, `undefined` in an array,
 *   circular structures), naming the path to the bad value.
 * @example
 * pythonJsonDumps([[2, 3], {}, { callbacks: null }]) // '[[2, 3], {}, {"callbacks": null}]'
 */
export function pythonJsonDumps(value: unknown, path = '$'): string {
  return new PythonJsonWriter(path).write(value, 1);
}

/**
 * One `json.dumps` call. The path to the value being written is kept as a stack of keys and indexes, and turned
 * into text (`$.kwargs.items[2]`) only for an error, so a value that encodes costs no path strings.
 */
class PythonJsonWriter {
  readonly #root: string;
  readonly #keys: (string | number)[] = [];
  readonly #seen = new Set<object>();

  constructor(root: string) {
    this.#root = root;
  }

  #path(last?: string | number): string {
    let out = this.#root;
    for (const key of last === undefined ? this.#keys : [...this.#keys, last]) {
      out += typeof key === 'number' ? `[${key}]` : `.${key}`;
    }
    return out;
  }

  write(value: unknown, depth: number): string {
    switch (typeof value) {
      case 'string':
        return pythonJsonString(value);
      case 'number':
        return pythonNumber(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'object': {
        if (value === null) return 'null';
        if (value instanceof PythonFloat) return pythonFloatRepr(value.value);
        if (this.#seen.has(value)) {
          throw EncodeError.at(this.#path(), 'the value refers to itself (a circular structure)');
        }
        if (depth > MAX_NESTING_DEPTH) throw tooDeepToEncode(this.#path());
        this.#seen.add(value);
        try {
          // Plain loops rather than callbacks: one stack frame per level keeps deep values far from the stack's end.
          if (Array.isArray(value)) {
            let out = '[';
            for (let index = 0; index < value.length; index++) {
              const item: unknown = value[index];
              if (item === undefined)
                throw EncodeError.at(this.#path(index), 'undefined is not a JSON value');
              this.#keys.push(index);
              out += (index === 0 ? '' : ', ') + this.write(item, depth + 1);
              this.#keys.pop();
            }
            return `${out}]`;
          }
          if (!isPlainObject(value)) {
            const kind = (value as object).constructor?.name ?? 'object';
            throw EncodeError.at(
              this.#path(),
              `a ${kind} is not a plain object; convert it to JSON data first`,
            );
          }
          let out = '{';
          let first = true;
          const record = value as Record<string, unknown>;
          for (const key of Object.keys(record)) {
            const item = record[key];
            if (item === undefined) continue;
            this.#keys.push(key);
            out += `${first ? '' : ', '}${pythonJsonString(key)}: ${this.write(item, depth + 1)}`;
            this.#keys.pop();
            first = false;
          }
          return `${out}}`;
        } finally {
          this.#seen.delete(value);
        }
      }
      case 'bigint':
        return value.toString();
      default:
        throw EncodeError.at(this.#path(), `a ${typeof value} is not a JSON value`);
    }
  }
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const NON_FINITE = /NaN|-?Infinity/;

/**
 * Parses JSON text the way Python's `json.loads` does, including the bare `NaN`, `Infinity` and `-Infinity`
 * that Python writes for non-finite floats.
 *
 * @param layer what the text is, for the error message (`result meta`, `task body`, ...)
 * @throws {DecodeError} naming the layer when the text is not JSON, or nests deeper than
 *   {@link MAX_NESTING_DEPTH} levels.
 */
export function pythonJsonLoads(
  text: string,
  layer: string,
  options: { readonly exact?: boolean } = {},
): unknown {
  if (nestsDeeperThan(text, MAX_NESTING_DEPTH)) throw tooDeepToDecode(layer);
  try {
    // Exact mode: integers beyond 2^53 become bigints and integral floats PythonFloat, before JSON.parse rounds.
    return options.exact ? JSON.parse(rewriteNonFinite(text, true), reviveNonFinite) : JSON.parse(text);
  } catch (error) {
    if (NON_FINITE.test(text)) {
      try {
        return JSON.parse(rewriteNonFinite(text), reviveNonFinite);
      } catch {
        // fall through to the original error
      }
    }
    const detail = error instanceof Error ? error.message : String(error);
    throw DecodeError.at(
      layer,
      `not valid JSON (${detail}); starts with ${JSON.stringify(text.slice(0, 40))}`,
      {
        cause: error,
      },
    );
  }
}

const NON_FINITE_MARKER = '\u0000celeriac-non-finite:';

/**
 * Replaces bare NaN/Infinity tokens outside strings with marker strings that {@link reviveNonFinite} undoes. One
 * pass that copies the text between tokens in slices, so its cost stays linear on hostile input.
 */
function rewriteNonFinite(text: string, exact = false): string {
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 0x22 /* " */) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      i = j + 1;
      continue;
    }
    const token = code === 0x4e || code === 0x49 || code === 0x2d ? nonFiniteTokenAt(text, i) : undefined;
    if (token !== undefined) {
      out += text.slice(copied, i) + JSON.stringify(NON_FINITE_MARKER + token);
      i += token.length;
      copied = i;
      continue;
    }
    if (exact && (code === 0x2d || (code >= 0x30 && code <= 0x39))) {
      NUMBER.lastIndex = i;
      const number = NUMBER.exec(text)?.[0];
      if (number !== undefined) {
        const marker = exactNumberMarker(number);
        if (marker !== undefined) {
          out += text.slice(copied, i) + JSON.stringify(marker);
          copied = i + number.length;
        }
        i += number.length;
        continue;
      }
    }
    i++;
  }
  return out + text.slice(copied);
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const EXACT_INT_MARKER = '\u0000celeriac-int:';
const EXACT_FLOAT_MARKER = '\u0000celeriac-float:';

/** The marker for a number token JSON.parse would change: a big integer, or a float with an integral value. */
function exactNumberMarker(token: string): string | undefined {
  if (!/[.eE]/.test(token)) {
    const digits = token.replace('-', '');
    // Only integers that are not safe need a bigint (16 digits can still be safe; decide by value).
    if (digits.length < 16) return undefined;
    return Number.isSafeInteger(Number(token)) ? undefined : EXACT_INT_MARKER + token;
  }
  const value = Number(token);
  return Number.isInteger(value) ? EXACT_FLOAT_MARKER + token : undefined;
}

function nonFiniteTokenAt(text: string, index: number): string | undefined {
  for (const token of ['NaN', '-Infinity', 'Infinity']) if (text.startsWith(token, index)) return token;
  return undefined;
}

function reviveNonFinite(_key: string, value: unknown): unknown {
  // A string that merely looks like a marker (sent as such) stays a string unless it holds a number token.
  if (typeof value === 'string' && value.startsWith(EXACT_INT_MARKER)) {
    const token = value.slice(EXACT_INT_MARKER.length);
    return /^-?\d+$/.test(token) ? BigInt(token) : value;
  }
  if (typeof value === 'string' && value.startsWith(EXACT_FLOAT_MARKER)) {
    const token = value.slice(EXACT_FLOAT_MARKER.length);
    return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(token) ? new PythonFloat(Number(token)) : value;
  }
  if (typeof value === 'string' && value.startsWith(NON_FINITE_MARKER)) {
    const token = value.slice(NON_FINITE_MARKER.length);
    if (token === 'NaN') return Number.NaN;
    return token === '-Infinity' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  return value;
}
