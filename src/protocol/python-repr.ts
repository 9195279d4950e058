/**
 * Celery's `saferepr` (celery/utils/saferepr.py), which writes the `argsrepr` and `kwargsrepr` headers that
 * logs, events and monitoring show. It is a streaming, truncating `repr`: strings are single-quoted with only
 * `'` escaped, containers nest at most three levels (`[...]` beyond), and once the output passes `maxlen`
 * characters the rest becomes `, ...` followed by the closing brackets still open.
 */

import { PythonDateTime, PythonFloat } from './exact-values.js';
import { pythonFloatRepr, pythonNumber } from './python-json.js';
import { CalendarDate, Decimal, TimeOfDay, Uuid } from './type-tags.js';

/** Celery's `argsrepr_maxsize` and `kwargsrepr_maxsize`. */
export const REPR_MAX_LENGTH = 1024;

const MAX_LEVELS = 3;

type Token =
  | { readonly kind: 'open'; readonly text: string }
  | { readonly kind: 'close'; readonly text: string }
  | { readonly kind: 'sep'; readonly text: string }
  | { readonly kind: 'key'; readonly value: string }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'quoted'; readonly value: string }
  | { readonly kind: 'bytes'; readonly value: Uint8Array };

/**
 * Python's `len(text)`: code points, not UTF-16 units, so an astral character such as an emoji counts once, as
 * it does in Celery's length budget.
 */
function pythonLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length--;
        i++;
      }
    }
  }
  return length;
}

/** Python's `text[:count]`: the first `count` code points. */
function pythonSlice(text: string, count: number): string {
  let end = 0;
  for (let taken = 0; taken < count && end < text.length; taken++) {
    const code = text.charCodeAt(end);
    const pair = code >= 0xd800 && code <= 0xdbff && end + 1 < text.length;
    const next = pair ? text.charCodeAt(end + 1) : 0;
    end += pair && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
  }
  return text.slice(0, end);
}

/** Python's `truncate`: cut at `maxlen` code points, back to the last space, and add `...`. */
function truncate(text: string, maxlen: number | undefined): string {
  if (maxlen && pythonLength(text) >= maxlen) {
    const head = pythonSlice(text, maxlen);
    const space = head.lastIndexOf(' ');
    return `${space >= 0 ? head.slice(0, space) : head}...`;
  }
  return text;
}

/**
 * Python's repr of a `datetime.timezone` for an ISO offset (`+01:00`, `-05:30`, `Z`), as `time.fromisoformat`
 * builds it: UTC is `datetime.timezone.utc`, others hold a `timedelta` whose negative values borrow a day.
 */
function timezoneRepr(offset: string): string {
  if (offset.toUpperCase() === 'Z') return 'datetime.timezone.utc';
  const sign = offset.startsWith('-') ? -1 : 1;
  const [hours = 0, minutes = 0, seconds = 0] = offset.slice(1).split(':').map(Number);
  const total = sign * (hours * 3600 + minutes * 60 + seconds);
  if (total === 0) return 'datetime.timezone.utc';
  const delta =
    total > 0
      ? `datetime.timedelta(seconds=${total})`
      : `datetime.timedelta(days=-1, seconds=${86_400 + total})`;
  return `datetime.timezone(${delta})`;
}

function scalarRepr(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    return pythonNumber(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof PythonFloat) return pythonFloatRepr(value.value);
  if (value instanceof PythonDateTime) {
    const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?(.*)$/.exec(
      value.iso,
    );
    const fields: (number | string)[] = [1, 2, 3, 4, 5, 6].map((group) => Number(match?.[group] ?? 0));
    fields.push(Number((match?.[7] ?? '').padEnd(6, '0')));
    if (fields[6] === 0) fields.pop();
    if (fields.length === 6 && fields[5] === 0) fields.pop();
    const offset = match?.[8] ?? '';
    if (offset !== '') fields.push(`tzinfo=${timezoneRepr(offset === 'Z' ? '+00:00' : offset)}`);
    return `datetime.datetime(${fields.join(', ')})`;
  }
  if (value instanceof Date) {
    const fields = [
      value.getUTCFullYear(),
      value.getUTCMonth() + 1,
      value.getUTCDate(),
      value.getUTCHours(),
      value.getUTCMinutes(),
      value.getUTCSeconds(),
      value.getUTCMilliseconds() * 1000,
    ];
    if (fields[6] === 0) fields.pop();
    if (fields.length === 6 && fields[5] === 0) fields.pop();
    return `datetime.datetime(${fields.join(', ')}, tzinfo=datetime.timezone.utc)`;
  }
  if (value instanceof CalendarDate) {
    const [y, m, d] = value.iso.split('-').map(Number);
    return `datetime.date(${y}, ${m}, ${d})`;
  }
  if (value instanceof TimeOfDay) {
    const match = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(.*)$/.exec(value.iso);
    const fields: (number | string)[] = [
      Number(match?.[1]),
      Number(match?.[2]),
      Number(match?.[3] ?? 0),
      Number((match?.[4] ?? '').padEnd(6, '0')),
    ];
    if (fields[3] === 0) fields.pop();
    if (fields.length === 3 && fields[2] === 0) fields.pop();
    const offset = match?.[5] ?? '';
    if (offset !== '') fields.push(`tzinfo=${timezoneRepr(offset)}`);
    return `datetime.time(${fields.join(', ')})`;
  }
  if (value instanceof Decimal) return `Decimal('${value.value}')`;
  if (value instanceof Uuid) return `UUID('${value.value}')`;
  return undefined;
}

/** Yields the token stream of one value, as Celery's `reprstream` does. */
function* tokens(value: unknown, level: number, asTuple: boolean): Generator<Token> {
  const scalar = scalarRepr(value);
  if (scalar !== undefined) {
    yield { kind: 'text', text: scalar };
    return;
  }
  if (typeof value === 'string') {
    yield { kind: 'quoted', value };
    return;
  }
  if (value instanceof Uint8Array) {
    yield { kind: 'bytes', value };
    return;
  }
  if (Array.isArray(value)) {
    const [open, close] = asTuple ? ['(', value.length === 1 ? ',)' : ')'] : ['[', ']'];
    if (level >= MAX_LEVELS) {
      yield { kind: 'text', text: `${open}...${close}` };
      return;
    }
    yield { kind: 'open', text: open };
    for (let i = 0; i < value.length; i++) {
      yield* tokens(value[i], level + 1, false);
      if (i < value.length - 1) yield { kind: 'sep', text: ', ' };
    }
    yield { kind: 'close', text: close };
    return;
  }
  if (typeof value === 'object') {
    if (level >= MAX_LEVELS) {
      yield { kind: 'text', text: '{...}' };
      return;
    }
    const entries = Object.entries(value as Record<string, unknown>);
    yield { kind: 'open', text: '{' };
    for (let i = 0; i < entries.length; i++) {
      const [key, item] = entries[i] as [string, unknown];
      yield { kind: 'key', value: key };
      yield { kind: 'sep', text: ': ' };
      yield* tokens(item, level + 1, false);
      if (i < entries.length - 1) yield { kind: 'sep', text: ', ' };
    }
    yield { kind: 'close', text: '}' };
    return;
  }
  yield { kind: 'text', text: `<${typeof value}>` };
}

function bytesRepr(value: Uint8Array, maxlen: number | undefined): string {
  const chunk = maxlen && value.length > maxlen ? value.subarray(0, maxlen) : value;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(chunk);
  } catch {
    text = Buffer.from(chunk).toString('hex');
  }
  return `b'${text}${chunk === value ? '' : '...'}'`;
}

function render(value: unknown, maxlen: number | undefined, asTuple: boolean): string {
  let remaining = maxlen;
  let out = '';
  const stream = tokens(value, 0, asTuple);
  for (let step = stream.next(); !step.done; step = stream.next()) {
    const token = step.value;
    if (remaining !== undefined && remaining <= 0) {
      out += ', ...';
      // Close whatever is still open, as Celery emits the dangling literals left in its stack. Containers not yet
      // entered were never expanded there, so their own brackets are skipped.
      let unentered = 0;
      for (let rest = stream.next(); !rest.done; rest = stream.next()) {
        if (rest.value.kind === 'open') unentered++;
        else if (rest.value.kind === 'close') {
          if (unentered > 0) unentered--;
          else out += rest.value.text;
        }
      }
      break;
    }
    let text: string;
    switch (token.kind) {
      case 'open':
      case 'close':
      case 'sep':
        text = token.text;
        break;
      case 'key':
        text = render(token.value, remaining, false);
        break;
      case 'quoted':
        text = `'${truncate(token.value, remaining).replace(/'/g, "\\'")}'`;
        break;
      case 'bytes':
        text = bytesRepr(token.value, remaining);
        break;
      case 'text':
        text = truncate(token.text, remaining);
        break;
    }
    out += text;
    if (remaining !== undefined) remaining -= pythonLength(text);
  }
  return out;
}

/**
 * The `argsrepr` header: Celery's `saferepr(args, 1024)` of the positional arguments as a tuple.
 *
 * @example
 * argsRepr([2, 3]) // '(2, 3)'
 * argsRepr(['x']) // "('x',)"
 */
export function argsRepr(args: readonly unknown[], maxlen: number = REPR_MAX_LENGTH): string {
  return render(args, maxlen, true);
}

/**
 * The `kwargsrepr` header: Celery's `saferepr(kwargs, 1024)`.
 *
 * @example
 * kwargsRepr({ a: 1 }) // "{'a': 1}"
 */
export function kwargsRepr(
  kwargs: Readonly<Record<string, unknown>>,
  maxlen: number = REPR_MAX_LENGTH,
): string {
  return render(kwargs, maxlen, false);
}

/**
 * Celery's `saferepr(value, maxlen)` of one value: how a worker shows a task's return value in `task-succeeded`
 * (Celery's `resultrepr_maxsize`, 1024 by default).
 *
 * @example
 * valueRepr({ total: 5 }) // "{'total': 5}"
 */
export function valueRepr(value: unknown, maxlen: number = REPR_MAX_LENGTH): string {
  return render(value, maxlen, false);
}
