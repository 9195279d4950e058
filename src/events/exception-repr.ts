/**
 * Python's `repr()` of an exception, as `task-failed` and `task-retried` carry it (kombu's `safe_repr`, which is
 * `repr`): `ValueError('boom')`, `TypeError("it's")`.
 */
import { type ExceptionInfo, exceptionArgs } from '../protocol/exception-info.js';
import { valueRepr } from '../protocol/python-repr.js';

/**
 * What Python's `str.isprintable()` refuses, which `repr()` escapes: control and format characters, surrogates,
 * private-use and unassigned code points, and every separator but the space (U+0085, U+2028, U+200B among them).
 */
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python's escape of a code point `repr()` does not print: `\x85`, `\u2028`, `\U000e0001`. */
function codeEscape(code: number): string {
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

/** Python's `repr()` of a str: single quotes unless the text has a `'` and no `"`. */
function strRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    if (char === '\\' || char === quote) out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char !== ' ' && NOT_PRINTABLE.test(char)) out += codeEscape(char.codePointAt(0) ?? 0);
    else out += char;
  }
  return out + quote;
}

/**
 * The repr of an exception in Celery's shape: its type and its arguments, as Python writes them.
 *
 * @example
 * exceptionRepr({ exc_type: 'ValueError', exc_message: ['boom'], exc_module: 'builtins' }) // "ValueError('boom')"
 */
export function exceptionRepr(info: ExceptionInfo): string {
  const args = exceptionArgs(info).map((arg) => (typeof arg === 'string' ? strRepr(arg) : valueRepr(arg)));
  return `${info.exc_type}(${args.join(', ')})`;
}
