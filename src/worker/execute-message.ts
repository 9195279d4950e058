/**
 * The execution core: what happens to one received message, on any host. No AWS SDK, no Lambda types; the
 * host turns the returned {@link MessageOutcome} into SQS calls.
 *
 * Per message:
 * 1. admission (`admit-message.ts`): decode, registered, expired, due;
 * 2. the task id is claimed for this delivery in one conditional write (`claim-task.ts`), which refuses
 *    finished, revoked and stale deliveries and any delivery while another holds a live lease, a second delivery
 *    of the same SQS message included (each delivery is its own claim owner);
 * 3. the task runs under its time limits (`run-task.ts`), STARTED stored first with `trackStarted`;
 * 4. `finishRun` sends its follow-ups and stores its result in Celery's shape (nothing visible with
 *    `ignoreResult`), trying each write again in place while its failure may pass and the lease allows;
 * 5. the message is deleted once its outcome is stored. When storing fails for good the task fails with that
 *    error; when it still fails at the deadline, the claim is released and the message left for redelivery.
 *    When the worker is shutting down the task is handed back.
 */
import { ClaimLost, TaskRevokedError } from '../errors.js';
import { toExceptionInfo } from '../exception-table.js';
import { TaskState } from '../protocol/states.js';
import type { TaskMessage } from '../protocol/task-message.js';
import type { AnyTask } from '../registry.js';
import { resultTtl } from '../runtime.js';
import type { TaskFunction } from '../task.js';
import { Guarantee } from '../task-options.js';
import { startRunSpan, traceMessage } from '../tracing/run-span.js';
import { type Admitted, admitMessage } from './admit-message.js';
import { claimTask } from './claim-task.js';
import {
  describeError,
  type ExecutionContext,
  isTransient,
  MessageScope,
  retryLater,
  TRANSIENT_RETRY_SECONDS,
} from './execution-context.js';
import { type FinishContext, finishRun, storeOutcome, traceOf } from './finish-run.js';
import { passFlowGate } from './flow-gate.js';
import { type InboundMessage, MessageAction, type MessageOutcome, MessageState } from './message-outcome.js';
import { persist } from './persist.js';
import { type RunResult, runTask } from './run-task.js';
import { storeMeta } from './store-meta.js';
import { createTaskContext } from './task-context.js';
import { TaskEvents } from './task-events.js';
import type { TaskRecord } from './task-record.js';

export type { ExecutionContext } from './execution-context.js';

/** The longest a finished run's writes are tried again in place before the message is left for redelivery. */
export const PERSIST_LIMIT_MS = 120_000;

/** How long the finished-marker of an ignored result lives when no result TTL is set: long enough to dedupe. */
export const IGNORED_RESULT_TTL_SECONDS = 7 * 24 * 3600;

/** Whether a task's error is the host's stop: the abort reason itself, or the AbortError it caused. */
function stoppedBy(error: unknown, reason: unknown): boolean {
  if (error === reason) return true;
  const shaped = error as { name?: unknown; cause?: unknown } | null;
  return shaped?.cause === reason || shaped?.name === 'AbortError';
}

function handBack(base: Pick<MessageOutcome, 'taskId' | 'taskName'>, why: unknown): MessageOutcome {
  return {
    ...base,
    action: MessageAction.RETRY_LATER,
    delaySeconds: 0,
    state: MessageState.HANDED_BACK,
    reason: why instanceof ClaimLost ? why.message : 'the worker is stopping',
  };
}

async function release(scope: MessageScope, taskId: string): Promise<void> {
  try {
    await scope.runtime.results.releaseClaim({ taskId, owner: scope.owner, nowMs: scope.now() });
  } catch (error) {
    scope.log(`could not release the claim on ${taskId}: ${describeError(error)}`);
  }
}

async function execute(
  scope: MessageScope,
  message: TaskMessage,
  task: AnyTask,
  record: TaskRecord,
): Promise<RunResult> {
  const abort = new AbortController();
  const stop = scope.ctx.signal;
  const onStop = (): void => abort.abort(stop?.reason);
  if (stop?.aborted) onStop();
  else stop?.addEventListener('abort', onStop, { once: true });
  const [hard, soft] = message.headers.timelimit;
  const span = await startRunSpan(message, scope.ctx.queueName);
  const call = (): Promise<RunResult> =>
    runTask(
      task.fn as TaskFunction<unknown[], unknown>,
      createTaskContext(scope, message, record, abort.signal),
      abort,
      {
        // Celery's `time_limit or task.time_limit`: a limit of 0 in the message, like none, means the task's.
        timeLimitSeconds: hard || task.options.timeLimitSeconds || null,
        softTimeLimitSeconds: soft || task.options.softTimeLimitSeconds || null,
      },
      {
        ...(scope.ctx.pool ? { pool: scope.ctx.pool } : {}),
        ...(scope.ctx.kill ? { kill: scope.ctx.kill } : {}),
        ...(task.options.autoretryFor ? { autoretryFor: task.options.autoretryFor } : {}),
      },
    );
  try {
    const result = await (span ? span.within(call) : call());
    span?.settle(result);
    return result;
  } finally {
    stop?.removeEventListener('abort', onStop);
  }
}

/**
 * The run happened but sending its follow-ups or storing its outcome failed. A failure that is permanent (a
 * queue that does not exist, a missing permission, a follow-up with a bad id) fails the task with that error, as
 * Celery does when a callback cannot be sent, instead of running it again and again. One that may pass but
 * outlasted the retries in place releases the claim, so a redelivery runs the task again.
 */
async function unrecorded(
  scope: MessageScope,
  finish: FinishContext,
  error: unknown,
): Promise<Omit<MessageOutcome, 'taskId' | 'taskName'>> {
  const { headers } = finish.message;
  if (!isTransient(error)) {
    try {
      const info = toExceptionInfo(error);
      await storeOutcome(finish, finish.record.failure(info, traceOf(error)), TaskState.FAILURE);
      return {
        action: MessageAction.DELETE,
        state: MessageState.FAILURE,
        reason: `recording the outcome failed: ${describeError(error)}`,
      };
    } catch (storeError) {
      scope.log(`could not store FAILURE for ${headers.id}: ${describeError(storeError)}`);
    }
  }
  await release(scope, headers.id);
  return {
    action: MessageAction.RETRY_LATER,
    delaySeconds: TRANSIENT_RETRY_SECONDS,
    state: MessageState.UNRECORDED,
    reason: `recording the outcome failed: ${describeError(error)}`,
  };
}

async function run(scope: MessageScope): Promise<MessageOutcome> {
  const admission = await admitMessage(scope);
  if (admission.kind === 'settled') {
    TaskEvents.of(scope.ctx)?.refused(admission.outcome);
    return admission.outcome;
  }
  const gate = await passFlowGate(scope, admission.message, admission.task);
  if (gate.kind === 'closed') return gate.outcome;
  try {
    return await runAdmitted(scope, admission);
  } finally {
    await gate.release();
  }
}

async function runAdmitted(scope: MessageScope, admission: Admitted): Promise<MessageOutcome> {
  const events = TaskEvents.of(scope.ctx);
  const { message, task, record } = admission;
  const { headers } = message;
  const base = { taskId: headers.id, taskName: headers.task };
  if (scope.ctx.signal?.aborted) return handBack(base, scope.ctx.signal.reason);
  const { settings } = scope.runtime;
  const ignoreResult = headers.ignore_result || task.options.ignoreResult === true;
  const trackStarted = task.options.trackStarted === true && !ignoreResult;
  const ttl = ignoreResult
    ? { ttlSeconds: settings.resultTtlSeconds ?? IGNORED_RESULT_TTL_SECONDS }
    : resultTtl(settings);
  const claimedAt = scope.now();
  // At least once, one write: no claim; the outcome's one conditional write refuses a finished task. Bulk: no
  // claim either, and the outcome is written unconditionally, batched with others (bulk-results.ts).
  const bulk = task.options.guarantee === Guarantee.BULK;
  const oneWrite = bulk || task.options.guarantee === Guarantee.AT_LEAST_ONCE;
  if (oneWrite) {
    if (trackStarted) await storeMeta(scope, headers.id, record.started());
  } else {
    const claim = await claimTask(scope, message, {
      ttl,
      ...(trackStarted ? { runningMeta: record.started() } : {}),
    });
    if (claim !== 'claimed') {
      events?.refused(claim);
      return claim;
    }
  }
  events?.started(message);
  if (!oneWrite) {
    scope.ctx.onClaimed?.({
      taskId: headers.id,
      owner: scope.owner,
      taskName: headers.task,
      argsrepr: headers.argsrepr,
      kwargsrepr: headers.kwargsrepr,
    });
  }
  const result = await execute(scope, message, task, record);
  const runtimeMs = scope.now() - claimedAt;
  const stopping = scope.ctx.signal;
  if (stopping?.aborted && result.kind === 'failure' && stoppedBy(result.error, stopping.reason)) {
    await release(scope, headers.id);
    return { ...handBack(base, stopping.reason), runtimeMs };
  }
  const kill = scope.ctx.kill;
  const terminated =
    kill?.reason instanceof TaskRevokedError && result.kind === 'failure' && result.error === kill.reason;
  // Writes are tried again in place for at most half the lease (so the claim outlives them), and at most
  // PERSIST_LIMIT_MS: past that an outage is better met by redelivery than by a host waiting on it.
  const deadlineMs = scope.now() + Math.min(scope.ctx.leaseMs / 2, PERSIST_LIMIT_MS);
  const finish: FinishContext = {
    runtime: scope.runtime,
    client: scope.client,
    message,
    task,
    record,
    owner: scope.owner,
    oneWrite,
    bulk,
    queue: { url: scope.inbound.queueUrl, name: scope.ctx.queueName },
    ignoreResult,
    ttl,
    release: () => release(scope, headers.id),
    persist: (write) =>
      persist(write, {
        deadlineMs,
        now: () => scope.now(),
        onRetry: (error, attempt) =>
          scope.log(
            `write for ${headers.id} failed (attempt ${attempt}), trying again: ${describeError(error)}`,
          ),
      }),
    log: (line) => scope.log(line),
  };
  try {
    if (terminated) {
      // Revoked with terminate while it ran: REVOKED (already stored by the revoke) stays, the claim ends.
      await storeOutcome(finish, ignoreResult ? undefined : record.revoked('terminated'), TaskState.REVOKED);
      const revoked: MessageOutcome = {
        ...base,
        action: MessageAction.DELETE,
        state: MessageState.REVOKED,
        reason: describeError(kill?.reason),
        runtimeMs,
      };
      events?.finished(message, result, revoked);
      return revoked;
    }
    const outcome: MessageOutcome = { ...base, ...(await finishRun(finish, result)), runtimeMs };
    events?.finished(message, result, outcome);
    return outcome;
  } catch (error) {
    const outcome: MessageOutcome = { ...base, ...(await unrecorded(scope, finish, error)), runtimeMs };
    events?.finished(message, result, outcome);
    return outcome;
  }
}

/**
 * Processes one received message and says what the host should do with it. Never throws: every failure
 * becomes an outcome.
 *
 * @example
 * const outcome = await executeMessage(message, { registry, runtime, identity, leaseMs: 60_000, queueName: 'celery' });
 * if (outcome.action === 'delete') await broker.delete(message.queueUrl, [message.receiptHandle]);
 */
export async function executeMessage(
  message: InboundMessage,
  context: ExecutionContext,
): Promise<MessageOutcome> {
  try {
    return await traceMessage(() => run(new MessageScope(context, message)));
  } catch (error) {
    context.log?.(
      `unexpected error processing message ${message.messageId}: ${error instanceof Error ? error.stack : String(error)}`,
    );
    return retryLater({}, MessageState.ERROR, describeError(error));
  }
}
