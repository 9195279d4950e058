/**
 * The errors an operator meets on SQS, each saying what to do: a queue that does not exist, an IAM action that
 * was denied, a purge inside SQS's 60 s cooldown. {@link queueAdminError} turns an SDK error into one of them
 * (or a {@link BackendError}), so no SDK error type leaves the adapter.
 */
import { type BackendError, CeleriacError, type CeleriacErrorOptions } from '../errors.js';
import { awsErrorName, backendError } from './aws-error.js';

/** The queue named does not exist (or is not visible to these credentials, in this region). */
export class QueueNotFoundError extends CeleriacError {
  override readonly name = 'QueueNotFoundError';
  /** The name or URL given. */
  readonly queue: string;

  constructor(queue: string, options: CeleriacErrorOptions = {}) {
    super(
      `No queue ${JSON.stringify(queue)} exists in this account and region: check the name (or give its URL), ` +
        'AWS_REGION and AWS_ENDPOINT_URL, or deploy it (the TaskQueue construct)',
      options,
    );
    this.queue = queue;
  }
}

/** A queue named as a dead-letter queue is one of the app's live queues, which has none. */
export class NotADeadLetterQueueError extends CeleriacError {
  override readonly name = 'NotADeadLetterQueueError';
  /** The name or URL given. */
  readonly queue: string;

  constructor(queue: string, url: string, options: CeleriacErrorOptions = {}) {
    super(
      `${JSON.stringify(queue)} (${url}) is one of the app's queues and has no redrive policy, so it has no ` +
        'dead-letter queue, and its messages are live tasks, not dead letters: give it one (the TaskQueue ' +
        'construct does), or name the dead-letter queue by its URL or SQS name',
      options,
    );
    this.queue = queue;
  }
}

/** The credentials lack an IAM permission. */
export class PermissionDeniedError extends CeleriacError {
  override readonly name = 'PermissionDeniedError';
  /** The IAM action denied, e.g. `sqs:PurgeQueue`. */
  readonly action: string;
  /** The resource it was denied on, when the service said. */
  readonly resource: string | undefined;

  constructor(
    action: string,
    resource: string | undefined,
    options: CeleriacErrorOptions & { readonly detail?: string } = {},
  ) {
    super(
      `Permission denied: ${action}${resource ? ` on ${resource}` : ''}. Grant ${action} to these credentials ` +
        `(the construct's grant methods list the actions), or use a profile that has it` +
        (options.detail ? ` (${options.detail})` : ''),
      options,
    );
    this.action = action;
    this.resource = resource;
  }
}

/** SQS refuses a second purge of a queue within 60 s of the last one. */
export class PurgeInProgressError extends CeleriacError {
  override readonly name = 'PurgeInProgressError';
  /** The queue's URL. */
  readonly queue: string;

  constructor(queue: string, options: CeleriacErrorOptions = {}) {
    super(
      `${queue} was purged less than 60 s ago and SQS allows one purge per 60 s: wait a minute and run the ` +
        'purge again (the messages of the first purge are being deleted)',
      options,
    );
    this.queue = queue;
  }
}

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationError',
  'UnauthorizedOperation',
  'KMS.AccessDeniedException',
]);
const MISSING_QUEUE = new Set([
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'NonExistentQueue',
]);
const PURGE_IN_PROGRESS = new Set(['PurgeQueueInProgress', 'AWS.SimpleQueueService.PurgeQueueInProgress']);

/** `User: arn:... is not authorized to perform: sqs:PurgeQueue on resource: arn:...` → its parts. */
function deniedParts(message: string): { action?: string; resource?: string } {
  const action = /perform:\s*([\w-]+:[\w*-]+)/.exec(message)?.[1];
  const resource = /on resource:\s*(\S+)/.exec(message)?.[1];
  return { ...(action ? { action } : {}), ...(resource ? { resource } : {}) };
}

/**
 * The operator-facing error for an SDK error of `action` (the IAM action, e.g. `sqs:PurgeQueue`) on `queue`.
 *
 * @example
 * throw queueAdminError('sqs:PurgeQueue', queueUrl, error); // PermissionDeniedError: Permission denied: sqs:PurgeQueue ...
 */
export function queueAdminError(
  action: string,
  queue: string,
  error: unknown,
): QueueNotFoundError | PermissionDeniedError | PurgeInProgressError | BackendError {
  const name = awsErrorName(error) ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (MISSING_QUEUE.has(name)) return new QueueNotFoundError(queue, { cause: error });
  if (PURGE_IN_PROGRESS.has(name)) return new PurgeInProgressError(queue, { cause: error });
  if (ACCESS_DENIED.has(name) || /not authorized to perform/i.test(message)) {
    const parts = deniedParts(message);
    return new PermissionDeniedError(parts.action ?? action, parts.resource ?? queue, {
      cause: error,
      detail: `${name}: ${message}`,
    });
  }
  return backendError(`${action.replace(/^sqs:/, 'SQS ')}(${queue})`, error);
}
