/**
 * Converts errors to Celery's exception shape and back. The way back goes through an explicit table of error
 * factories (Celery's own exceptions, plus whatever the app registers); an unknown type becomes a
 * {@link TaskError} that carries the remote type, arguments and module. Nothing is ever looked up by name in
 * the module system, so stored data cannot make the reader construct arbitrary classes.
 */
import {
  MaxRetriesExceededError,
  NotRegistered,
  SoftTimeLimitExceeded,
  TaskError,
  TaskRevokedError,
  TimeLimitExceeded,
  WorkerLostError,
} from './errors.js';
import { type ExceptionInfo, exceptionArgs, exceptionText } from './protocol/exception-info.js';
import { revokedExceptionInfo } from './protocol/revoked-exception.js';

/** Builds an error from a remote exception's arguments. */
export type ErrorFactory = (args: unknown[], info: ExceptionInfo, taskId: string) => Error;

/**
 * Python modules of the Celery exceptions celeriac raises, so Python rebuilds the real classes. Maps, not object
 * literals, because the keys looked up come from stored data: a class named `constructor` or `toString` must
 * find nothing, not a member of `Object.prototype`.
 */
const CELERY_MODULES: ReadonlyMap<string, string> = new Map([
  ['NotRegistered', 'celery.exceptions'],
  ['TaskRevokedError', 'celery.exceptions'],
  ['MaxRetriesExceededError', 'celery.exceptions'],
  ['SoftTimeLimitExceeded', 'billiard.exceptions'],
  ['TimeLimitExceeded', 'billiard.exceptions'],
  ['WorkerLostError', 'billiard.exceptions'],
]);

/** JavaScript error names that Python also has as built-in exceptions. */
const PYTHON_BUILTINS = new Set(['TypeError', 'SyntaxError']);

/** Module written for other JavaScript errors; Python readers synthesize a class of the same name. */
export const JAVASCRIPT_EXCEPTION_MODULE = 'celeriac';

/**
 * Fields a task's error may carry to control how it is stored: `excType` and `excModule` override the class
 * name and module, `excArgs` the argument list (default `[message]`).
 */
export interface RemoteErrorFields {
  excType?: string;
  excModule?: string | null;
  excArgs?: unknown[];
}

/**
 * The exception shape Celery stores for `error`.
 *
 * @example
 * toExceptionInfo(new TypeError('bad')) // {exc_type: 'TypeError', exc_message: ['bad'], exc_module: 'builtins'}
 */
export function toExceptionInfo(error: unknown): ExceptionInfo {
  if (error instanceof TaskError) {
    return { exc_type: error.excType, exc_message: error.excArgs, exc_module: error.excModule };
  }
  if (error instanceof NotRegistered) {
    return { exc_type: 'NotRegistered', exc_message: [error.taskName], exc_module: 'celery.exceptions' };
  }
  if (error instanceof TaskRevokedError) {
    return revokedExceptionInfo(error.reason);
  }
  if (error instanceof Error) {
    const fields = error as Error & RemoteErrorFields;
    const type =
      fields.excType ??
      (error.name && error.name !== 'Error' ? error.name : error.constructor.name || 'Error');
    const module =
      fields.excModule !== undefined
        ? fields.excModule
        : (CELERY_MODULES.get(type) ??
          (PYTHON_BUILTINS.has(type) ? 'builtins' : JAVASCRIPT_EXCEPTION_MODULE));
    return { exc_type: type, exc_message: fields.excArgs ?? [error.message], exc_module: module };
  }
  return { exc_type: 'Exception', exc_message: [stringify(error)], exc_module: 'builtins' };
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

const firstNumber = (args: unknown[]): number =>
  typeof args[0] === 'number' ? args[0] : Number(args[0]) || 0;

/** Factories for the Celery exceptions celeriac knows, keyed by `exc_type`. */
const BUILTIN_FACTORIES: ReadonlyMap<string, ErrorFactory> = new Map<string, ErrorFactory>([
  ['NotRegistered', (args) => NotRegistered.forTask(String(args[0] ?? ''))],
  [
    'TaskRevokedError',
    (args, _info, taskId) => TaskRevokedError.forTask(taskId, String(args[0] ?? 'revoked')),
  ],
  ['TimeLimitExceeded', (args) => TimeLimitExceeded.after(firstNumber(args))],
  ['SoftTimeLimitExceeded', (args) => SoftTimeLimitExceeded.after(firstNumber(args))],
  ['MaxRetriesExceededError', (_args, _info, taskId) => MaxRetriesExceededError.forTask(taskId, 0)],
  [
    'WorkerLostError',
    (args) => {
      const message = String(args[0] ?? 'Worker exited prematurely');
      const exit = /prematurely: (.*?)\.?$/.exec(message)?.[1] ?? 'unknown';
      return new WorkerLostError(message, { exit });
    },
  ],
]);

/**
 * The errors an app knows how to rebuild from stored results, by exception type name (`PaymentDeclined`) or
 * module-qualified name (`shop.errors.PaymentDeclined`, preferred when both match).
 */
export class ErrorTable {
  readonly #factories = new Map<string, ErrorFactory>();

  /** Registers how to rebuild errors of `excType` (optionally `module.Type`). */
  register(excType: string, factory: ErrorFactory): this {
    this.#factories.set(excType, factory);
    return this;
  }

  /** Rebuilds the error for a stored exception: a registered factory, a Celery exception, or a {@link TaskError}. */
  toError(info: ExceptionInfo, taskId: string, traceback: string | null): Error {
    const args = exceptionArgs(info);
    // Stored data may hold anything here; a module that is not a string counts as unknown.
    const module = typeof info.exc_module === 'string' ? info.exc_module : null;
    const qualified = module ? `${module}.${info.exc_type}` : info.exc_type;
    const factory =
      this.#factories.get(qualified) ??
      this.#factories.get(info.exc_type) ??
      celeryFactory(info.exc_type, module);
    if (factory) return factory(args, info, taskId);
    const text = exceptionText(info);
    return new TaskError(`${info.exc_type}${text ? `: ${text}` : ''}`, {
      taskId,
      excType: info.exc_type,
      excModule: module,
      excArgs: args,
      remoteTraceback: traceback,
    });
  }
}

function celeryFactory(type: string, module: string | null): ErrorFactory | undefined {
  const expected = CELERY_MODULES.get(type);
  if (expected === undefined) return undefined;
  // Accept Celery's own module names and celeriac's, but not a same-named class from an unrelated module.
  if (module !== null && module !== expected && !module.startsWith('celery')) return undefined;
  return BUILTIN_FACTORIES.get(type);
}
