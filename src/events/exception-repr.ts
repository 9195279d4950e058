/**
 * Python's `repr()` of an exception, as `task-failed` and `task-retried` carry it (kombu's `safe_repr`, which is
 * `repr`): `ValueError('boom')`, `TypeError("it's")`.
 */
import { type ExceptionInfo, exceptionArgs } from '../protocol/exception-info.js';
import { valueRepr } from '../protocol/python-repr.js';

/** Python's `repr()` of a str: single quotes unless the text has a `'` and no `"`. */
function strRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\' || char === quote) out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
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
