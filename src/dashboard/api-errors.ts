/**
 * How the API reports a failure: a JSON body `{ error: { kind, message, ... } }` and a status, so every page can
 * say what went wrong in its own words: a queue that does not exist (named), an IAM action that is missing (named),
 * a purge inside SQS's cooldown, a bad request. An AccessDenied that reaches the dashboard wrapped in a
 * `BackendError` (DynamoDB's, say) is found in the error's causes and named the same way.
 */
import { awsErrorName } from '../aws/aws-error.js';
import {
  NotADeadLetterQueueError,
  PermissionDeniedError,
  PurgeInProgressError,
  QueueNotFoundError,
} from '../aws/queue-admin-errors.js';
import { CeleriacError, type CeleriacErrorOptions, isCeleriacError } from '../errors.js';

/** A request the API refuses: a bad parameter, an unknown route, a missing confirmation. */
export class DashboardRequestError extends CeleriacError {
  override readonly name = 'DashboardRequestError';
  readonly status: number;
  readonly kind: string;

  constructor(status: number, kind: string, message: string, options: CeleriacErrorOptions = {}) {
    super(message, options);
    this.status = status;
    this.kind = kind;
  }
}

/** The JSON error body. */
export interface ApiError {
  readonly kind: string;
  readonly message: string;
  readonly queue?: string;
  readonly action?: string;
  readonly resource?: string;
}

const ACCESS_DENIED = /^(AccessDenied|AccessDeniedException|AuthorizationError|UnauthorizedOperation)$/;

/** The first AccessDenied in the error's cause chain, with the IAM action it names. */
function accessDenied(error: unknown): { action: string; resource?: string; message: string } | undefined {
  for (let current = error, depth = 0; current && depth < 10; depth += 1) {
    const message = current instanceof Error ? current.message : String(current);
    if (ACCESS_DENIED.test(awsErrorName(current) ?? '') || /not authorized to perform/i.test(message)) {
      const action = /perform:\s*([\w-]+:[\w*-]+)/.exec(message)?.[1] ?? 'unknown (see the message)';
      const resource = /on resource:\s*(\S+)/.exec(message)?.[1];
      return { action, ...(resource ? { resource } : {}), message };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The status and body for an error thrown by a handler. */
export function toApiError(error: unknown): { readonly status: number; readonly body: ApiError } {
  if (error instanceof DashboardRequestError) {
    return { status: error.status, body: { kind: error.kind, message: error.message } };
  }
  if (error instanceof QueueNotFoundError) {
    return { status: 404, body: { kind: 'queue-not-found', message: error.message, queue: error.queue } };
  }
  if (error instanceof NotADeadLetterQueueError) {
    return {
      status: 409,
      body: { kind: 'not-a-dead-letter-queue', message: error.message, queue: error.queue },
    };
  }
  if (error instanceof PermissionDeniedError) {
    return {
      status: 403,
      body: {
        kind: 'permission-denied',
        message: error.message,
        action: error.action,
        ...(error.resource ? { resource: error.resource } : {}),
      },
    };
  }
  if (error instanceof PurgeInProgressError) {
    return { status: 409, body: { kind: 'purge-in-progress', message: error.message, queue: error.queue } };
  }
  const denied = accessDenied(error);
  if (denied) {
    return {
      status: 403,
      body: {
        kind: 'permission-denied',
        message: `Permission denied: ${denied.action}. Grant it to these credentials (${denied.message})`,
        action: denied.action,
        ...(denied.resource ? { resource: denied.resource } : {}),
      },
    };
  }
  const message = isCeleriacError(error)
    ? `${error.name}: ${error.message}`
    : error instanceof Error
      ? `${error.name}: ${error.message}`
      : String(error);
  return { status: 500, body: { kind: 'error', message } };
}
