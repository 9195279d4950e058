/**
 * How an exception crosses the wire in a result (`celery/backends/base.py` `prepare_exception` for JSON):
 * `{"exc_type": "ValueError", "exc_message": ["boom", 42], "exc_module": "builtins"}`. `exc_message` is the
 * exception's `args` as a list. Readers rebuild errors through an explicit table, never by looking a
 * constructor up by name.
 */

/** An exception in Celery's JSON shape. */
export interface ExceptionInfo {
  /** The exception class's qualified name, e.g. `ValueError` or `PaymentDeclined`. */
  exc_type: string;
  /** The exception's arguments (Python `args`), usually `[message, ...]`; older writers store a string. */
  exc_message: unknown;
  /** The module that defines the class, e.g. `builtins`, `celery.exceptions`; null when unknown. */
  exc_module: string | null;
}

/** True when `value` has Celery's exception shape. */
export function isExceptionInfo(value: unknown): value is ExceptionInfo {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as Record<string, unknown>).exc_type === 'string'
  );
}

/** The exception's arguments as a list, whatever form the writer used. */
export function exceptionArgs(info: ExceptionInfo): unknown[] {
  const message = info.exc_message;
  if (Array.isArray(message)) return message;
  if (message === undefined || message === null || message === '') return [];
  return [message];
}

/**
 * The message text Python's `str(exc)` would show: the single argument, or the tuple of arguments, or ''.
 *
 * @example
 * exceptionText({ exc_type: 'ValueError', exc_message: ['boom', 42], exc_module: 'builtins' }) // "('boom', 42)"
 */
export function exceptionText(info: ExceptionInfo): string {
  const args = exceptionArgs(info);
  if (args.length === 0) return '';
  if (args.length === 1) return typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]);
  return `(${args.map((a) => (typeof a === 'string' ? `'${a}'` : JSON.stringify(a))).join(', ')})`;
}
