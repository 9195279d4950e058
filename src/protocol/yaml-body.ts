/**
 * kombu's YAML serializer (`kombu/serialization.py` `register_yaml`): PyYAML's `safe_dump` to write and
 * `safe_load` to read, so YAML 1.1 with the standard tags only. A tag outside that schema (`!!python/object`,
 * `!!python/name`, any local `!tag`) is refused before any value is built; nothing in a YAML body can name code.
 *
 * | YAML 1.1                  | JavaScript                                                       |
 * |---------------------------|------------------------------------------------------------------|
 * | null, bool, str, float    | `null`, boolean, string, number (`.nan`, `.inf` included); in exact mode an integral float is a `PythonFloat` |
 * | int                       | number; `bigint` when outside ±(2^53 − 1)                        |
 * | timestamp (and date)      | `Date` (milliseconds; a naive time reads as UTC); in exact mode `PythonDateTime` (and `CalendarDate`) |
 * | `!!binary`                | `Uint8Array`                                                     |
 * | seq, map                  | array, plain object (keys as strings)                            |
 *
 * Aliases expand at most {@link MAX_YAML_ALIASES} times, so a "billion laughs" document is refused rather than
 * inflated, and nesting is bounded before parsing ({@link MAX_YAML_FLOW_DEPTH}, {@link MAX_YAML_BLOCK_DEPTH}).
 *
 * The `yaml` library loads on first use (`yamlLibrary`): the worker's decode and the producer load it first
 * when an app reads or writes YAML.
 */
import { DecodeError } from './errors.js';
import { PythonDateTime, PythonFloat } from './exact-values.js';
import { MAX_NESTING_DEPTH } from './limits.js';
import { nestsDeeperThan, tooDeepToDecode } from './nesting-depth.js';
import { yamlLibrary } from './optional-libraries.js';
import { NO_FORM, type PlainDataCodec, toPlainData } from './plain-data.js';
import { setOwn } from './set-own.js';
import { CalendarDate } from './type-tags.js';
import { exactReadTags, exactWriteTags } from './yaml-exact-tags.js';

/** kombu's content type for YAML. */
export const YAML_CONTENT_TYPE = 'application/x-yaml';

/** How deep flow collections (`[...]`, `{...}`) may nest in a YAML body. */
export const MAX_YAML_FLOW_DEPTH = 200;

/** A bound on block nesting, in columns of indentation plus indicators (two per level). */
export const MAX_YAML_BLOCK_DEPTH = 600;

/** How many alias references a YAML body may resolve. */
export const MAX_YAML_ALIASES = 100;

const LAYER = 'YAML body';
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const SCHEMA = { schema: 'yaml-1.1', merge: true } as const;

/**
 * Writes a value as YAML that PyYAML's `safe_load` reads back to the same Python value.
 *
 * @throws {EncodeError} naming the path for values `safe_dump` has no form for (decimals, UUIDs, class
 *   instances), `undefined` in an array, or nesting past {@link MAX_NESTING_DEPTH}.
 * @throws {LibraryNotLoaded} in a bundle, when the `yaml` library was not loaded first (`yamlLibrary.load()`).
 */
export function yamlDumps(value: unknown): string {
  return yamlLibrary
    .get()
    .stringify(toPlainData(value, YAML_LEAVES), { ...SCHEMA, customTags: exactWriteTags });
}

/**
 * Reads a YAML body as `yaml.safe_load` would; with `exact`, integral floats, datetimes and dates keep what
 * Python sent (see `exact-values.ts`).
 *
 * @throws {DecodeError} for malformed YAML, a tag outside YAML 1.1's standard ones (`!!python/*`), more than
 *   one document, too many aliases, or nesting past {@link MAX_NESTING_DEPTH}.
 * @throws {LibraryNotLoaded} in a bundle, when the `yaml` library was not loaded first (`yamlLibrary.load()`).
 */
export function yamlLoads(text: string, options: { readonly exact?: boolean } = {}): unknown {
  // The parser recurses once per level and runs out of stack near 900 levels: bound the depth first, in one
  // pass, well below that.
  if (nestsDeeperThan(text, MAX_YAML_FLOW_DEPTH) || blockDepthBound(text) > MAX_YAML_BLOCK_DEPTH) {
    throw DecodeError.at(
      LAYER,
      `the document nests too deeply (more than ${MAX_YAML_FLOW_DEPTH} flow levels, or indentation and ` +
        `indicators past ${MAX_YAML_BLOCK_DEPTH} columns)`,
    );
  }
  // Outside the try: a library that cannot load is not malformed YAML.
  const yaml = yamlLibrary.get();
  let value: unknown;
  try {
    const document = yaml.parseDocument(text, {
      ...SCHEMA,
      intAsBigInt: true,
      uniqueKeys: false,
      ...(options.exact ? { customTags: exactReadTags } : {}),
    });
    const problem = document.errors[0] ?? document.warnings[0];
    if (problem) {
      const unsafe = problem.code === 'TAG_RESOLVE_FAILED';
      throw DecodeError.at(
        LAYER,
        unsafe
          ? `a tag outside YAML's safe schema was refused (${firstLine(problem.message)}); ` +
              'kombu reads YAML with safe_load, which refuses it too'
          : `not valid YAML (${firstLine(problem.message)})`,
      );
    }
    value = document.toJS({ maxAliasCount: MAX_YAML_ALIASES, mapAsMap: true });
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    if (error instanceof RangeError) {
      throw DecodeError.at(LAYER, 'the value nests too deeply to read', { cause: error });
    }
    throw DecodeError.at(LAYER, `not valid YAML (${firstLine((error as Error).message)})`, { cause: error });
  }
  return fromYaml(value, 1, new Map(), new Set());
}

/**
 * An upper bound on the block nesting of a YAML text: per line, the indentation plus the run of `- `, `? ` and
 * `: ` indicators that opens it (compact nesting such as `- - - x` opens a level per indicator). One pass.
 */
function blockDepthBound(text: string): number {
  let worst = 0;
  let lineStart = true;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x0a /* \n */) {
      lineStart = true;
      depth = 0;
      continue;
    }
    if (!lineStart) continue;
    const next = text.charCodeAt(i + 1);
    if (code === 0x20 /* space */) {
      depth++;
    } else if ((code === 0x2d /* - */ || code === 0x3f /* ? */ || code === 0x3a) /* : */ && next === 0x20) {
      depth += 2;
      i++;
    } else {
      lineStart = false;
    }
    if (depth > worst) worst = depth;
  }
  return worst;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function fromYaml(value: unknown, depth: number, done: Map<object, unknown>, open: Set<object>): unknown {
  if (typeof value === 'bigint') return value <= MAX_SAFE && value >= MIN_SAFE ? Number(value) : value;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (value instanceof PythonFloat || value instanceof PythonDateTime || value instanceof CalendarDate) {
    return value;
  }
  if (value instanceof Uint8Array) return new Uint8Array(value);
  // An alias makes the same node appear twice: convert it once and share it, so aliases cannot multiply work.
  const converted = done.get(value);
  if (converted !== undefined) return converted;
  if (open.has(value)) throw DecodeError.at(LAYER, 'an alias refers to a node that contains it (a cycle)');
  if (depth > MAX_NESTING_DEPTH) throw tooDeepToDecode(LAYER);
  open.add(value);
  const child = (item: unknown): unknown => fromYaml(item, depth + 1, done, open);
  let out: unknown;
  if (Array.isArray(value)) {
    const list: unknown[] = [];
    for (let index = 0; index < value.length; index++) list.push(child(value[index]));
    out = list;
  } else if (value instanceof Set) {
    // `!!set` reads as a Python set; kombu's JSON and msgpack have none, so it becomes a list.
    out = [...value].map(child);
  } else {
    const record: Record<string, unknown> = {};
    const entries = value instanceof Map ? [...value] : Object.entries(value);
    for (const [key, item] of entries) {
      if (key !== null && typeof key === 'object' && !(key instanceof Date)) {
        throw DecodeError.at(LAYER, 'a mapping key is a collection (Python cannot hash it either)');
      }
      setOwn(record, key instanceof Date ? key.toISOString() : String(key), child(item));
    }
    out = record;
  }
  open.delete(value);
  done.set(value, out);
  return out;
}

/** How YAML writes each leaf (see {@link toPlainData}). */
const YAML_LEAVES: PlainDataCodec = {
  name: 'YAML',
  noFormDetail:
    "YAML's safe schema (PyYAML's safe_dump refuses Decimal and UUID too); send it as a string, or use the " +
    'json serializer, which tags them',
  leaf(value, fail) {
    if (
      value === null ||
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      typeof value === 'number' ||
      typeof value === 'bigint'
    ) {
      return value;
    }
    if (typeof value !== 'object') return fail(`a ${typeof value} has no YAML form`);
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) return fail('the Date is invalid');
      return value;
    }
    // Written by the tags in `yaml-exact-tags.ts`: as a float, as the datetime's own text, as a date.
    if (value instanceof Uint8Array || value instanceof PythonFloat) return value;
    if (value instanceof PythonDateTime || value instanceof CalendarDate) return value;
    return NO_FORM;
  },
};
