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
 *
 * Every send and store goes through `persist`: a failure that may pass (throttling, a reset connection) is tried
 * again in place, while the claim still holds, instead of letting the task run again.
 */
import type { Client } from '../client.js';
import { EncodeError, MaxRetriesExceededError, PayloadTooLargeError, Retry } from '../errors.js';
import { toExceptionInfo } from '../exception-table.js';
import { isCeleriacError } from '../protocol/errors.js';
import type { ResultMeta } from '../protocol/result-meta.js';
import { TaskState } from '../protocol/states.js';
import type { TaskMessage } from '../protocol/task-message.js';
import type { AnyTask } from '../registry.js';
import type { Runtime } from '../runtime.js';
import type { SendRequest } from '../send-request.js';
import { RETRY_DEFAULTS } from '../task-options.js';
import { bulkResultsFor } from './bulk-results.js';
import { onChordPartReturn } from './chord.js';
import { describeError } from './execution-context.js';
import {
  childTuple,
  type FollowUps,
  failureFollowUps,
  pendingChainIds,
  retryCall,
  successFollowUps,
} from './follow-ups.js';
import { MessageAction, type MessageOutcome, MessageState } from './message-outcome.js';
import type { RunResult } from './run-task.js';
import type { TaskRecord } from './task-record.js';

/** What {@link finishRun} needs. */
export interface FinishContext {
  readonly runtime: Runtime;
  readonly client: Client;
  readonly message: TaskMessage;
  readonly task: AnyTask;
  readonly record: TaskRecord;
  /** The claim's owner. */
  readonly owner: string;
  /** The run held no claim (`guarantee: 'at-least-once'`): the outcome is stored with one conditional write. */
  readonly oneWrite?: boolean;
  /** With `oneWrite`, `guarantee: 'bulk'`: the outcome is written unconditionally, batched (bulk-results.ts). */
  readonly bulk?: boolean;
  /** The queue the message came from (retries go back to it). */
  readonly queue: { readonly url: string; readonly name: string };
  /** Store nothing visible (`ignoreResult`). */
  readonly ignoreResult: boolean;
  readonly ttl: { readonly ttlSeconds?: number };
  /** Releases the claim without finishing (for `Reject(requeue=True)`). */
  readonly release: () => Promise<void>;
  /** Runs a write, trying again in place while its failure may pass (see `persist.ts`). */
  readonly persist: <T>(write: () => Promise<T>) => Promise<T>;
  readonly log?: (line: string) => void;
}

/** How a finished run should end for the message. */
export type FinishOutcome = Pick<MessageOutcome, 'action' | 'state' | 'reason'>;

/** A traceback string for an error: its stack, as Celery stores Python's formatted traceback. */
export function traceOf(error: unknown): string | null {
  if (error instanceof Error && typeof error.stack === 'string') return error.stack;
  return isCeleriacError(error) ? String(error) : null;
}

const cannotTravel = (error: unknown): boolean =>
  error instanceof PayloadTooLargeError || error instanceof EncodeError;

/** Saves the groups follow-ups need (chord headers), then sends the requests. */
async function deliver(
  ctx: FinishContext,
  groups: FollowUps['groups'],
  requests: readonly SendRequest[],
): Promise<void> {
  for (const group of groups) await ctx.persist(() => ctx.client.saveGroup(group.groupId, group.memberIds));
  if (requests.length > 0) await ctx.persist(() => ctx.client.send(requests));
}

/** Sends follow-up calls (validated first, so a bad one fails before anything is sent). */
async function sendCalls(ctx: FinishContext, followUps: FollowUps): Promise<string[]> {
  const requests = followUps.calls.map((call) => ctx.client.request(call));
  await deliver(ctx, followUps.groups, requests);
  return requests.map((request) => request.taskId);
}

/** Stores a task's outcome, in its final or RETRY state, and runs the chord step for final ones. */
export async function storeOutcome(
  ctx: FinishContext,
  meta: ResultMeta | undefined,
  state: string,
  options: { readonly offloaded?: boolean } = {},
): Promise<void> {
  const { results, payloads, clock } = ctx.runtime;
  const stored = meta && !options.offloaded ? await ctx.persist(() => payloads.offloadMeta(meta)) : meta;
  const request = {
    taskId: ctx.message.headers.id,
    owner: ctx.owner,
    attempt: ctx.message.headers.retries,
    meta: stored,
    state,
    nowMs: clock.now(),
    ...ctx.ttl,
  };
  if (ctx.bulk) {
    await ctx.persist(() => bulkResultsFor(results).complete(request));
  } else if (ctx.oneWrite) {
    const recorded = await ctx.persist(() => results.completeOnce({ ...request, nowMs: clock.now() }));
    if (!recorded) {
      ctx.log?.(
        `${request.taskId} was already finished (a duplicate delivery ran it again); its ${state} is not stored`,
      );
    }
  } else {
    await ctx.persist(() => results.complete(request));
  }
  if (state === TaskState.SUCCESS || state === TaskState.FAILURE) {
    const line = await ctx.persist(() => onChordPartReturn(ctx, ctx.message));
    if (line) ctx.log?.(line);
  }
}

/** Celery's `get_exponential_backoff_interval` for autoretries. */
function backoffSeconds(task: AnyTask, retries: number): number {
  const {
    retryBackoff,
    retryBackoffMaxSeconds = RETRY_DEFAULTS.retryBackoffMaxSeconds,
    retryJitter = true,
    defaultRetryDelaySeconds = RETRY_DEFAULTS.defaultRetryDelaySeconds,
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
  const { message, record } = ctx;
  const { results, payloads, clock } = ctx.runtime;
  const info = toExceptionInfo(error);
  const traceback = traceOf(error);
  await sendCalls(ctx, failureFollowUps(message));
  for (const chainId of pendingChainIds(message)) {
    try {
      const meta = await payloads.offloadMeta({ ...record.failure(info, traceback), task_id: chainId });
      await ctx.persist(() => results.put(chainId, meta, { nowMs: clock.now(), ...ctx.ttl }));
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
  return {
    action: MessageAction.DELETE,
    state: MessageState.FAILURE,
    reason: `${info.exc_type}: ${describeError(error)}`,
  };
}

async function succeed(ctx: FinishContext, value: unknown): Promise<FinishOutcome> {
  const { message, record } = ctx;
  let followUps: FollowUps;
  let childIds: string[];
  let requests: ReturnType<Client['request']>[];
  let stored: ResultMeta | undefined;
  try {
    followUps = successFollowUps(message, value);
    requests = followUps.calls.map((call) => ctx.client.request(call));
    childIds = requests.map((request) => request.taskId);
    const meta = record.meta(TaskState.SUCCESS, value, null, true, childIds.map(childTuple));
    stored = ctx.ignoreResult ? undefined : await ctx.persist(() => ctx.runtime.payloads.offloadMeta(meta));
  } catch (error) {
    // A result that cannot be stored or passed on (not JSON, too large) fails the task, before anything is sent.
    if (cannotTravel(error)) return failRun(ctx, error, false);
    throw error;
  }
  await deliver(ctx, followUps.groups, requests);
  await storeOutcome(ctx, stored, TaskState.SUCCESS, { offloaded: true });
  return { action: MessageAction.DELETE, state: MessageState.SUCCESS };
}

async function retry(ctx: FinishContext, request: Retry): Promise<FinishOutcome> {
  const { message, record, task } = ctx;
  const { headers } = message;
  const options = request.options;
  // `null` means no limit, so only an unset option falls back to Celery's default of 3.
  const configured = options.maxRetries !== undefined ? options.maxRetries : task.options.maxRetries;
  const maxRetries = configured === undefined ? RETRY_DEFAULTS.maxRetries : configured;
  if (maxRetries !== null && headers.retries >= maxRetries) {
    const error = options.exc ?? MaxRetriesExceededError.forTask(headers.id, headers.retries);
    return failRun(ctx, error, ctx.ignoreResult && task.options.storeErrorsEvenIfIgnored !== true);
  }
  const countdown =
    options.countdown ?? task.options.defaultRetryDelaySeconds ?? RETRY_DEFAULTS.defaultRetryDelaySeconds;
  const eta = options.eta ?? new Date(ctx.runtime.clock.now() + countdown * 1000);
  await sendCalls(ctx, { calls: [retryCall(message, ctx.queue, eta)], groups: [] });
  const reason = options.exc === undefined ? null : toExceptionInfo(options.exc);
  const meta = record.meta(TaskState.RETRY, reason, traceOf(options.exc ?? request), false, [
    childTuple(headers.id),
  ]);
  await storeOutcome(ctx, ctx.ignoreResult ? undefined : meta, TaskState.RETRY);
  return {
    action: MessageAction.DELETE,
    state: MessageState.RETRY,
    reason: `retry ${headers.retries + 1} at ${eta.toISOString()}`,
  };
}

/** Records a finished run and sends its follow-ups; throws when a store or a send fails for good. */
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
      retry: Retry.with({ exc: run.error, countdown: backoffSeconds(task, message.headers.retries) }),
    };
  }
  switch (run.kind) {
    case 'success':
      return succeed(ctx, run.value);
    case 'retry':
      return retry(ctx, run.retry);
    case 'ignore':
      await storeOutcome(ctx, undefined, TaskState.SUCCESS);
      return { action: MessageAction.DELETE, state: MessageState.IGNORED };
    case 'reject':
      if (run.reject.requeue) {
        await ctx.release();
        return { action: MessageAction.REJECT, state: MessageState.REJECTED, reason: run.reject.message };
      }
      return failRun(ctx, run.reject, ctx.ignoreResult);
    case 'failure':
      return failRun(ctx, run.error, hideFailure);
  }
}
