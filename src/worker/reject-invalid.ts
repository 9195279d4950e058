/**
 * Refuses a message that cannot be decoded or is not a valid task message. It is left on the queue, so SQS
 * delivers it again until `maxReceiveCount` moves it to the dead-letter queue; when it names a task id, FAILURE
 * is stored too, so a caller waiting on the result learns why (except for a message that failed signature
 * verification, whose task id is not to be trusted).
 */
import { toExceptionInfo } from '../exception-table.js';
import { decodeSqsMessageBody } from '../protocol/envelope.js';
import type { ExceptionInfo } from '../protocol/exception-info.js';
import { buildResultMeta } from '../protocol/result-meta.js';
import { SecurityError } from '../protocol/security-error.js';
import { TaskState } from '../protocol/states.js';
import { isTaskId } from '../protocol/task-id.js';
import type { MessageScope } from './execution-context.js';
import { MessageAction, type MessageOutcome, MessageState } from './message-outcome.js';
import { storeMeta } from './store-meta.js';

const KOMBU_ERRORS: ReadonlySet<string> = new Set(['ContentDisallowed', 'DecodeError', 'EncodeError']);

/** The exception stored for an invalid message, with the Python module its namesake lives in. */
function invalidInfo(error: unknown): ExceptionInfo {
  const info = toExceptionInfo(error);
  const module = KOMBU_ERRORS.has(info.exc_type)
    ? 'kombu.exceptions'
    : info.exc_type === 'InvalidTaskError' || info.exc_type === 'SecurityError'
      ? 'celery.exceptions'
      : info.exc_module;
  return { ...info, exc_module: module };
}

/**
 * The task id an undecodable message names, if any (from the envelope headers or a bare body), and only when it
 * can be a key: an overlong or quoted id would fail its own write, and in a batch the writes it shares.
 */
export function peekTaskId(body: string): string | undefined {
  try {
    const { envelope, bare } = decodeSqsMessageBody(body);
    const id = envelope ? envelope.headers.id : (bare as Record<string, unknown> | undefined)?.id;
    return isTaskId(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The outcome of refusing a message for `reason`: left on the queue for the dead-letter queue, as every refusal. */
export function invalidOutcome(reason: string, taskId?: string): MessageOutcome {
  return {
    action: MessageAction.REJECT,
    state: MessageState.INVALID,
    reason: `${reason} (left on the queue: after maxReceiveCount deliveries it moves to the dead-letter queue)`,
    ...(taskId ? { taskId } : {}),
  };
}

/** Rejects the message with `error` as its reason, storing FAILURE for `taskId` when there is one. */
export async function rejectInvalid(
  scope: MessageScope,
  error: unknown,
  taskId: string | undefined,
): Promise<MessageOutcome> {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  // A message that failed verification is not trusted to name a task: storing FAILURE under its id would let
  // an unsigned sender overwrite the result of a real task.
  if (taskId && !(error instanceof SecurityError)) {
    const meta = buildResultMeta({
      taskId,
      status: TaskState.FAILURE,
      result: invalidInfo(error),
      traceback: null,
      dateDone: new Date(scope.now()),
    });
    await storeMeta(scope, taskId, meta);
  }
  return invalidOutcome(reason, taskId);
}
