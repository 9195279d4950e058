/**
 * Admission: everything decided about a message before its task id is claimed.
 * 1. resolve an S3 pointer and decode; a message that cannot be decoded is rejected (see `reject-invalid.ts`);
 * 2. an unknown task name stores FAILURE `NotRegistered` and the message is deleted (not retried);
 * 3. unreadable `eta`/`expires` headers make the message invalid;
 * 4. an expired task stores REVOKED (`TaskRevokedError('expired')`) and is not run; an expired chord member still
 *    counts towards its chord (whose body then fails with ChordError);
 * 5. an ETA a second or more ahead is re-delayed (see `redelay.ts`), never held; a shorter wait is slept out.
 *
 * Between 1 and 2, a migration from Python Celery may hand the message over or run it as a shadow
 * (`src/migration/route-message.ts`).
 */
import { InvalidTaskError, NotRegistered } from '../errors.js';
import { toExceptionInfo } from '../exception-table.js';
import { routeMessage } from '../migration/route-message.js';
import { parseIsoDateTime } from '../protocol/iso-time.js';
import { decodeTaskMessageAsync, type TaskMessage } from '../protocol/task-message.js';
import type { AnyTask } from '../registry.js';
import { onChordPartReturn } from './chord.js';
import { describeError, isTransient, type MessageScope, retryLater } from './execution-context.js';
import { failWorkflowOf } from './fail-workflow.js';
import { fillScheduledTime } from './fill-scheduled-time.js';
import { MessageAction, type MessageOutcome, MessageState } from './message-outcome.js';
import { redelay } from './redelay.js';
import { peekTaskId, rejectInvalid } from './reject-invalid.js';
import { storeMeta } from './store-meta.js';
import { TaskRecord } from './task-record.js';

/** A message that may run now: its task is registered, unexpired and due. */
export interface Admitted {
  readonly kind: 'admitted';
  readonly message: TaskMessage;
  readonly task: AnyTask;
  readonly record: TaskRecord;
}

/** Admission's answer: run it, or this outcome. */
export type Admission = Admitted | { readonly kind: 'settled'; readonly outcome: MessageOutcome };

const settled = (outcome: MessageOutcome): Admission => ({ kind: 'settled', outcome });

/**
 * Runs the chord step of a task that will not run (`repeat`: it ran before, this is a duplicate); returns the
 * error when the step failed.
 */
export async function chordStepOf(
  scope: MessageScope,
  message: TaskMessage,
  repeat = false,
): Promise<Error | undefined> {
  try {
    const line = await onChordPartReturn(scope, message, { repeat });
    if (line) scope.log(line);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** Decides whether the scope's message may run now. */
export async function admitMessage(scope: MessageScope): Promise<Admission> {
  const { inbound } = scope;
  let body: string;
  try {
    body = fillScheduledTime(
      await scope.runtime.payloads.resolveMessage(inbound.body, inbound.attributes),
      inbound.sentTimestampMs,
    );
  } catch (error) {
    if (isTransient(error)) return settled(retryLater({}, MessageState.UNRESOLVED, describeError(error)));
    return settled(await rejectInvalid(scope, error, undefined));
  }
  let message: TaskMessage;
  try {
    message = await decodeTaskMessageAsync(body, {
      maxPayloadBytes: scope.runtime.settings.maxPayloadBytes,
      maxBzip2Bytes: scope.runtime.settings.maxBzip2Bytes,
      acceptContent: scope.runtime.settings.acceptContent,
      ...(scope.runtime.settings.verifier ? { verifier: scope.runtime.settings.verifier } : {}),
      exactValues: scope.runtime.settings.exactValues,
    });
  } catch (error) {
    return settled(await rejectInvalid(scope, error, peekTaskId(body)));
  }
  // A migration may route the task name to Python Celery (src/migration/route-message.ts).
  const routed = await routeMessage(scope, message);
  if (routed) return settled(routed);
  const { headers } = message;
  const base = { taskId: headers.id, taskName: headers.task };
  const record = new TaskRecord(scope.runtime, message, scope.ctx.identity, scope.ctx.queueName);
  const task = scope.ctx.registry.get(headers.task);
  if (!task) {
    const error = NotRegistered.forTask(headers.task);
    const failure = record.failure(toExceptionInfo(error), null);
    if (!(await storeMeta(scope, headers.id, failure))) {
      return settled(retryLater(base, MessageState.UNRECORDED, 'storing FAILURE NotRegistered failed'));
    }
    // Later chain steps, errbacks and the chord count, as Celery's mark_as_failure does.
    const workflowFailed = await failWorkflowOf(scope, message, failure);
    if (workflowFailed) {
      return settled(
        retryLater(base, MessageState.UNRECORDED, `failing the workflow: ${workflowFailed.message}`),
      );
    }
    return settled({
      ...base,
      action: MessageAction.DELETE,
      state: MessageState.FAILURE,
      reason: error.message,
    });
  }
  const expires = headers.expires === null ? undefined : parseIsoDateTime(headers.expires);
  const eta = headers.eta === null ? undefined : parseIsoDateTime(headers.eta);
  for (const [name, value, parsed] of [
    ['expires', headers.expires, expires],
    ['eta', headers.eta, eta],
  ] as const) {
    if (value !== null && parsed === undefined) {
      const error = new InvalidTaskError(`Unreadable ${name} header ${JSON.stringify(value)}`, {
        taskId: headers.id,
      });
      return settled(await rejectInvalid(scope, error, headers.id));
    }
  }
  if (expires && expires.getTime() <= scope.now()) {
    if (!(await storeMeta(scope, headers.id, record.revoked('expired')))) {
      return settled(retryLater(base, MessageState.UNRECORDED, 'storing REVOKED failed'));
    }
    const failed = await chordStepOf(scope, message);
    if (failed)
      return settled(retryLater(base, MessageState.UNRECORDED, `chord step failed: ${failed.message}`));
    return settled({
      ...base,
      action: MessageAction.DELETE,
      state: MessageState.REVOKED,
      reason: `expired at ${headers.expires}`,
    });
  }
  if (eta) {
    const waitMs = eta.getTime() - scope.now();
    if (waitMs >= 1000) return settled(await redelay(scope, message, waitMs));
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
  return { kind: 'admitted', message, task, record };
}
