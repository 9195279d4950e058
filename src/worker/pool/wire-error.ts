/**
 * Errors across a sandbox boundary, without loss: name, message, stack, the stored exception shape
 * (`excType`, `excModule`, `excArgs`, as `toExceptionInfo` reads them), a retry's options (its `exc` too), a
 * reject's `requeue`, and whether the error was the run's abort reason. The way back rebuilds celeriac's own
 * errors as their classes, an error that was one of the task's `autoretryFor` classes with that class's
 * prototype, and any other error as an `Error` carrying the same stored shape.
 */
import {
  ClaimLost,
  Ignore,
  Reject,
  Retry,
  SoftTimeLimitExceeded,
  TaskRevokedError,
  TimeLimitExceeded,
  WorkerShutdown,
} from '../../errors.js';
import { toExceptionInfo } from '../../exception-table.js';
import type { ExceptionInfo } from '../../protocol/exception-info.js';
import { fromTaggedJson, toTaggedJson } from '../../protocol/type-tags.js';
import type { ErrorClass } from './pool.js';

/** An error as plain JSON data. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  /** The stored shape, its arguments kombu-tagged. */
  readonly info: { exc_type: string; exc_module: string | null; exc_message: unknown };
  readonly retry?: {
    readonly countdown?: number;
    readonly eta?: string;
    readonly maxRetries?: number | null;
    readonly exc?: WireError;
  };
  readonly requeue?: boolean;
  /** `limitSeconds` of a time limit, `taskId` of a lost claim or revoke, `reason` of a revoke. */
  readonly limitSeconds?: number;
  readonly taskId?: string;
  readonly reason?: string;
  /** The error was (or was caused by) the run's abort reason. */
  readonly abortReason?: boolean;
  /** Index in the task's `autoretryFor` of the class the error is an instance of. */
  readonly autoretry?: number;
}

function taggedArgs(info: ExceptionInfo, message: string): unknown {
  try {
    return toTaggedJson(info.exc_message);
  } catch {
    return [message];
  }
}

/** Turns a thrown value into {@link WireError}. */
export function toWireError(
  error: unknown,
  context: { readonly abortReason?: unknown; readonly autoretryFor?: readonly ErrorClass[] } = {},
): WireError {
  const info = toExceptionInfo(error);
  const base = error instanceof Error ? error : undefined;
  const message = base ? base.message : String(info.exc_message);
  const shaped = error as { cause?: unknown; name?: unknown } | null;
  const reason = context.abortReason;
  const isAbort =
    reason !== undefined && (error === reason || shaped?.cause === reason || shaped?.name === 'AbortError');
  const autoretry = context.autoretryFor?.findIndex((type) => error instanceof type) ?? -1;
  const fields = (base ?? {}) as { limitSeconds?: unknown; taskId?: unknown; reason?: unknown };
  return {
    name: base?.name ?? 'Error',
    message,
    ...(base?.stack ? { stack: base.stack } : {}),
    info: {
      exc_type: info.exc_type,
      exc_module: info.exc_module,
      exc_message: taggedArgs(info, message),
    },
    ...(error instanceof Retry
      ? {
          retry: {
            ...(error.options.countdown !== undefined ? { countdown: error.options.countdown } : {}),
            ...(error.options.eta ? { eta: error.options.eta.toISOString() } : {}),
            ...(error.options.maxRetries !== undefined ? { maxRetries: error.options.maxRetries } : {}),
            ...(error.options.exc !== undefined ? { exc: toWireError(error.options.exc, context) } : {}),
          },
        }
      : {}),
    ...(error instanceof Reject ? { requeue: error.requeue } : {}),
    ...(typeof fields.limitSeconds === 'number' ? { limitSeconds: fields.limitSeconds } : {}),
    ...(typeof fields.taskId === 'string' ? { taskId: fields.taskId } : {}),
    ...(typeof fields.reason === 'string' ? { reason: fields.reason } : {}),
    ...(isAbort ? { abortReason: true } : {}),
    ...(autoretry >= 0 ? { autoretry } : {}),
  };
}

function celeriacError(wire: WireError): Error | undefined {
  const options = { taskId: wire.taskId ?? '' };
  switch (wire.name) {
    case 'Ignore':
      return new Ignore(wire.message);
    case 'Reject':
      return new Reject(wire.message, { requeue: wire.requeue === true });
    case 'SoftTimeLimitExceeded':
      return new SoftTimeLimitExceeded(wire.message, { limitSeconds: wire.limitSeconds ?? 0 });
    case 'TimeLimitExceeded':
      return new TimeLimitExceeded(wire.message, { limitSeconds: wire.limitSeconds ?? 0 });
    case 'WorkerShutdown':
      return new WorkerShutdown(wire.message);
    case 'ClaimLost':
      return new ClaimLost(wire.message, options);
    case 'TaskRevokedError':
      return new TaskRevokedError(wire.message, { ...options, reason: wire.reason ?? 'revoked' });
    case 'Retry': {
      const retry = wire.retry ?? {};
      return Retry.with({
        ...(retry.countdown !== undefined ? { countdown: retry.countdown } : {}),
        ...(retry.eta ? { eta: new Date(retry.eta) } : {}),
        ...(retry.maxRetries !== undefined ? { maxRetries: retry.maxRetries } : {}),
      });
    }
    default:
      return undefined;
  }
}

/** Rebuilds an error from {@link WireError}. */
export function fromWireError(
  wire: WireError,
  context: { readonly autoretryFor?: readonly ErrorClass[] } = {},
): Error {
  if (wire.name === 'Retry' && wire.retry?.exc) {
    const retry = wire.retry;
    return Retry.with({
      ...(retry.countdown !== undefined ? { countdown: retry.countdown } : {}),
      ...(retry.eta ? { eta: new Date(retry.eta) } : {}),
      ...(retry.maxRetries !== undefined ? { maxRetries: retry.maxRetries } : {}),
      exc: fromWireError(retry.exc as WireError, context),
    });
  }
  const own = celeriacError(wire);
  const type = wire.autoretry === undefined ? undefined : context.autoretryFor?.[wire.autoretry];
  const error: Error = own ?? (type ? (Object.create(type.prototype) as Error) : new Error(wire.message));
  if (!own) {
    let excArgs: unknown;
    try {
      excArgs = fromTaggedJson(wire.info.exc_message, 'error');
    } catch {
      excArgs = [wire.message];
    }
    Object.defineProperty(error, 'message', { value: wire.message, writable: true, configurable: true });
    Object.defineProperty(error, 'name', { value: wire.name, writable: true, configurable: true });
    Object.assign(error, {
      excType: wire.info.exc_type,
      excModule: wire.info.exc_module,
      excArgs: Array.isArray(excArgs) ? excArgs : [excArgs],
    });
  }
  if (wire.stack !== undefined) {
    Object.defineProperty(error, 'stack', { value: wire.stack, writable: true, configurable: true });
  }
  return error;
}
