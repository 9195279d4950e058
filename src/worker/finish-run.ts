/**
 * What a worker records and sends after a task ran, by how the run ended (Celery's `trace_task`):
 * - **success**: the result meta is prepared first (so a result that cannot be stored fails the task before
 *   anything is sent), then the link callbacks and the next chain step are sent, then the result is stored;
 * - **retry** (`this.retry()` or `autoretryFor`): the same task is sent again with `retries + 1`, then RETRY is
 *   stored; past `maxRetries` the task fails with the retry's reason instead;
 * - **failure**: the errbacks are sent, later chain steps are marked FAILURE, then FAILURE is stored;
 * - `Ignore`: nothing visible is stored; `Reject(requeue)`: the claim is released and the message left for
 *   redelivery.
 * A chord header counts towards its chord once its final state is stored.
 */
import type { App } from '../app.js';
import { EncodeError, MaxRetriesExceededError, PayloadTooLargeError, Retry } from '../errors.js';
import { toExceptionInfo } from '../exception-table.js';
import { isCeleriacError } from '../protocol/errors.js';
import type { ResultMeta } from '../protocol/result-meta.js';
import { TaskState } from '../protocol/states.js';
import type { TaskMessage } from '../protocol/task-message.js';
import type { Task } from '../task.js';
import { onChordPartReturn } from './chord.js';
import {
  childTuple,
  failureFollowUps,
  pendingChainIds,
  retryRequest,
  successFollowUps,
} from './follow-ups.js';
import type { MessageOutcome } from './message-outcome.js';
import type { RunResult } from './run-task.js';
import type { TaskRecord } from './task-record.js';

/** What {@link finishRun} needs. */
export interface FinishContext {
  readonly app: App;
  readonly message: TaskMessage;
  readonly task: Task<never, unknown>;
  readonly record: TaskRecord;
  /** The claim's owner. */
  readonly owner: string;
  /** The queue the message came from (retries go back to it). */
  readonly queue: { readonly url: string; readonly name: string };
  /** Store nothing visible (`ignoreResult`). */
  readonly ignoreResult: boolean;
  readonly ttl: { readonly ttlSeconds?: number };
  /** Releases the claim without finishing (for `Reject(requeue=True)`). */
  readonly release: () => Promise<void>;
  readonly log?: (line: string) => void;
}

/** How a finished run should end for the message. */
export type FinishOutcome = Pick<MessageOutcome, 'action' | 'state' | 'reason'>;

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A traceback string for an error: its stack, as Celery stores Python's formatted traceback. */
export function traceOf(error: unknown): string | null {
  if (error instanceof Error && typeof error.stack === 'string') return error.stack;
  return isCeleriacError(error) ? String(error) : null;
}

const cannotTravel = (error: unknown): boolean =>
  error instanceof PayloadTooLargeError || error instanceof EncodeError;

/** Stores a task's outcome, in its final or RETRY state, and runs the chord step for final ones. */
export async function storeOutcome(
  ctx: FinishContext,
  meta: ResultMeta | undefined,
  state: string,
  options: { readonly offloaded?: boolean } = {},
): Promise<void> {
  const stored = meta && !options.offloaded ? await ctx.app.payloads.offloadMeta(meta) : meta;
  await ctx.app.transport.results.complete({
    taskId: ctx.message.headers.id,
    owner: ctx.owner,
    attempt: ctx.message.headers.retries,
    meta: stored,
    state,
    nowMs: ctx.app.transport.clock.now(),
    ...ctx.ttl,
  });
  if (state === TaskState.SUCCESS || state === TaskState.FAILURE) {
    const line = await onChordPartReturn(ctx.app, ctx.message);
    if (line) ctx.log?.(line);
  }
}

/** Celery's `get_exponential_backoff_interval` for autoretries. */
function backoffSeconds(task: Task<never, unknown>, retries: number): number {
  const {
    retryBackoff,
    retryBackoffMaxSeconds = 600,
    retryJitter = true,
    defaultRetryDelaySeconds = 180,
  } = task.options;
  if (!retryBackoff) return defaultRetryDelaySeconds;
  const factor = retryBackoff === true ? 1 : retryBackoff;
  const countdown = Math.min(retryBackoffMaxSeconds, factor * 2 ** retries);
  return retryJitter ? Math.floor(Math.random() * (countdown + 1)) : countdown;
}

/**
 * Fails the task: errbacks, later chain steps, then FAILURE. An exception that cannot be stored whole (huge or
 * unserializable arguments) is stored with its type and a shortened message that says why.
 */
export async function failRun(ctx: FinishContext, error: unknown, hide: boolean): Promise<FinishOutcome> {
  const { app, message, record } = ctx;
  const info = toExceptionInfo(error);
  const traceback = traceOf(error);
  await app.producer.send(failureFollowUps(app, message));
  for (const chainId of pendingChainIds(message)) {
    try {
      await app.transport.results.put(
        chainId,
        await app.payloads.offloadMeta({ ...record.failure(info, traceback), task_id: chainId }),
        {
          nowMs: app.transport.clock.now(),
          ...ctx.ttl,
        },
      );
    } catch (storeError) {
      ctx.log?.(`could not mark chain step ${chainId} FAILURE: ${describeError(storeError)}`);
    }
  }
  try {
    await storeOutcome(ctx, hide ? undefined : record.failure(info, traceback), TaskState.FAILURE);
  } catch (storeError) {
    if (!cannotTravel(storeError)) throw storeError;
    const brief = {
      ...info,
      exc_message: [`${describeError(error).slice(0, 1000)} (${describeError(storeError)})`],
    };
    await storeOutcome(ctx, record.failure(brief, null), TaskState.FAILURE);
  }
  return { action: 'delete', state: TaskState.FAILURE, reason: `${info.exc_type}: ${describeError(error)}` };
}

async function succeed(ctx: FinishContext, value: unknown): Promise<FinishOutcome> {
  const { app, message, record } = ctx;
  let sends: ReturnType<typeof successFollowUps>;
  let stored: ResultMeta | undefined;
  try {
    sends = successFollowUps(app, message, value);
    const meta = record.meta(
      TaskState.SUCCESS,
      value,
      null,
      true,
      sends.map((send) => childTuple(send.taskId)),
    );
    stored = ctx.ignoreResult ? undefined : await app.payloads.offloadMeta(meta);
  } catch (error) {
    // A result that cannot be stored or passed on (not JSON, too large) fails the task, before anything is sent.
    if (cannotTravel(error)) return failRun(ctx, error, false);
    throw error;
  }
  await app.producer.send(sends);
  await storeOutcome(ctx, stored, TaskState.SUCCESS, { offloaded: true });
  return { action: 'delete', state: TaskState.SUCCESS };
}

async function retry(ctx: FinishContext, request: Retry): Promise<FinishOutcome> {
  const { app, message, record, task } = ctx;
  const { headers } = message;
  const options = request.options;
  // `null` means no limit, so only an unset option falls back to Celery's default of 3.
  const configured = options.maxRetries !== undefined ? options.maxRetries : task.options.maxRetries;
  const maxRetries = configured === undefined ? 3 : configured;
  if (maxRetries !== null && headers.retries >= maxRetries) {
    const error = options.exc ?? new MaxRetriesExceededError(headers.id, headers.retries);
    return failRun(ctx, error, ctx.ignoreResult && task.options.storeErrorsEvenIfIgnored !== true);
  }
  const countdown = options.countdown ?? task.options.defaultRetryDelaySeconds ?? 180;
  const eta = options.eta ?? new Date(app.transport.clock.now() + countdown * 1000);
  await app.producer.send([retryRequest(app, message, ctx.queue, eta)]);
  const reason = options.exc === undefined ? null : toExceptionInfo(options.exc);
  const meta = record.meta(TaskState.RETRY, reason, traceOf(options.exc ?? request), false, [
    childTuple(headers.id),
  ]);
  await storeOutcome(ctx, ctx.ignoreResult ? undefined : meta, TaskState.RETRY);
  return {
    action: 'delete',
    state: TaskState.RETRY,
    reason: `retry ${headers.retries + 1} at ${eta.toISOString()}`,
  };
}

/** Records a finished run and sends its follow-ups; throws when a store or a send fails. */
export async function finishRun(ctx: FinishContext, result: RunResult): Promise<FinishOutcome> {
  const { task, message } = ctx;
  const hideFailure = ctx.ignoreResult && task.options.storeErrorsEvenIfIgnored !== true;
  let run = result;
  if (
    run.kind === 'failure' &&
    (task.options.autoretryFor ?? []).some((type) => run.kind === 'failure' && run.error instanceof type)
  ) {
    run = {
      kind: 'retry',
      retry: new Retry({ exc: run.error, countdown: backoffSeconds(task, message.headers.retries) }),
    };
  }
  switch (run.kind) {
    case 'success':
      return succeed(ctx, run.value);
    case 'retry':
      return retry(ctx, run.retry);
    case 'ignore':
      await storeOutcome(ctx, undefined, TaskState.SUCCESS);
      return { action: 'delete', state: TaskState.IGNORED };
    case 'reject':
      if (run.reject.requeue) {
        await ctx.release();
        return { action: 'reject', state: TaskState.REJECTED, reason: run.reject.message };
      }
      return failRun(ctx, run.reject, ctx.ignoreResult);
    case 'failure':
      return failRun(ctx, run.error, hideFailure);
  }
}
