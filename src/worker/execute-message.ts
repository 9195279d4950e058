/**
 * The execution core: what happens to one received message, on any host. No AWS SDK, no Lambda types; the
 * host turns the returned {@link MessageOutcome} into SQS calls.
 *
 * Per message:
 * 1. decode; a message that cannot be decoded is rejected (SQS redelivers it until the dead-letter queue takes
 *    it), and FAILURE is stored when it names a task id, so a waiting caller learns why;
 * 2. an unknown task name stores FAILURE `NotRegistered` and the message is deleted (not retried);
 * 3. an expired task stores REVOKED (`TaskRevokedError('expired')`) and is not run;
 * 4. an ETA in the future is re-delayed (a copy sent with `DelaySeconds`, up to 900 s a hop), never held;
 * 5. the task id is claimed in one conditional write, which refuses finished, revoked and stale deliveries and
 *    duplicates held by a live lease;
 * 6. the task runs (STARTED first with `trackStarted`), then its follow-ups are sent and its result stored in
 *    Celery's shape (nothing visible with `ignoreResult`);
 * 7. the message is deleted, or left for redelivery when something transient failed.
 */
import type { App } from '../app.js';
import {
  BackendError,
  EncodeError,
  InvalidTaskError,
  MaxRetriesExceededError,
  NotRegistered,
  PayloadTooLargeError,
  Retry,
  type RetryOptions,
} from '../errors.js';
import { toExceptionInfo } from '../exception-table.js';
import type { ClaimOutcome } from '../ports/result-store.js';
import { decodeSqsMessageBody } from '../protocol/envelope.js';
import { isCeleriacError } from '../protocol/errors.js';
import type { ExceptionInfo } from '../protocol/exception-info.js';
import { parseIsoDateTime } from '../protocol/iso-time.js';
import { isFifoQueueName } from '../protocol/queue-name.js';
import { buildResultMeta, type ResultMeta } from '../protocol/result-meta.js';
import { TaskState } from '../protocol/states.js';
import { decodeTaskMessage, type TaskMessage } from '../protocol/task-message.js';
import type { Task, TaskContext, TaskFunction } from '../task.js';
import { onChordPartReturn } from './chord.js';
import {
  childTuple,
  failureFollowUps,
  pendingChainIds,
  retryRequest,
  successFollowUps,
} from './follow-ups.js';
import type { InboundMessage, MessageOutcome } from './message-outcome.js';
import { type RunResult, runTask } from './run-task.js';
import type { WorkerIdentity } from './worker-identity.js';

/** SQS's largest per-message delay, and its largest visibility timeout. */
const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_SECONDS = 43_200;
/** How long the finished-marker of an ignored result lives when no result TTL is set: long enough to dedupe. */
export const IGNORED_RESULT_TTL_SECONDS = 7 * 24 * 3600;
/** Pause before a message whose processing hit a transient error is delivered again. */
const TRANSIENT_RETRY_SECONDS = 5;

/** What the core needs from its host. */
export interface ExecutionContext {
  readonly app: App;
  readonly identity: WorkerIdentity;
  /** How long a claim holds: at least as long as the host may run the task before SQS redelivers. */
  readonly leaseMs: number;
  /** The Celery queue name of the source queue (for retries' `delivery_info`). */
  readonly queueName: string;
  /** Aborted when the host must stop (shutdown, Lambda deadline): passed on to the task's signal. */
  readonly signal?: AbortSignal;
  /** Called once the task id is claimed, so the host can renew the lease while the task runs. */
  readonly onClaimed?: (claim: { readonly taskId: string; readonly owner: string }) => void;
  /** Where diagnostic lines go (the per-task line is the host's). Default: nowhere. */
  readonly log?: (line: string) => void;
}

const invalidInfo = (error: unknown): ExceptionInfo => {
  const info = toExceptionInfo(error);
  const module =
    info.exc_type === 'ContentDisallowed' ||
    info.exc_type === 'DecodeError' ||
    info.exc_type === 'EncodeError'
      ? 'kombu.exceptions'
      : info.exc_type === 'InvalidTaskError'
        ? 'celery.exceptions'
        : info.exc_module;
  return { ...info, exc_module: module };
};

/** The task id an undecodable message names, if any (from the envelope headers or a bare body). */
function peekTaskId(body: string): string | undefined {
  try {
    const { envelope, bare } = decodeSqsMessageBody(body);
    const id = envelope ? envelope.headers.id : (bare as Record<string, unknown> | undefined)?.id;
    return typeof id === 'string' && id.length > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

class Execution {
  readonly #ctx: ExecutionContext;
  readonly #app: App;
  readonly #message: InboundMessage;
  readonly #owner: string;

  constructor(ctx: ExecutionContext, message: InboundMessage) {
    this.#ctx = ctx;
    this.#app = ctx.app;
    this.#message = message;
    this.#owner = `${ctx.identity.workerId}:${message.messageId}`;
  }

  #now(): number {
    return this.#app.transport.clock.now();
  }

  #ttl(): { ttlSeconds?: number } {
    const ttl = this.#app.config.resultTtlSeconds;
    return ttl === undefined ? {} : { ttlSeconds: ttl };
  }

  async #storeQuietly(taskId: string, meta: ResultMeta): Promise<void> {
    try {
      await this.#app.transport.results.put(taskId, await this.#app.payloads.offloadMeta(meta), {
        nowMs: this.#now(),
        ...this.#ttl(),
      });
    } catch (error) {
      this.#ctx.log?.(
        `could not store ${meta.status} for ${taskId}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  async run(): Promise<MessageOutcome> {
    let body: string;
    try {
      body = await this.#app.payloads.resolveMessage(this.#message.body, this.#message.attributes);
    } catch (error) {
      if (error instanceof BackendError && error.retryable) {
        return {
          action: 'retry-later',
          delaySeconds: TRANSIENT_RETRY_SECONDS,
          state: 'UNRESOLVED',
          reason: error.message,
        };
      }
      return this.#invalid(error, undefined);
    }
    let message: TaskMessage;
    try {
      message = decodeTaskMessage(body);
    } catch (error) {
      return this.#invalid(error, peekTaskId(body));
    }
    const { headers } = message;
    const base = { taskId: headers.id, taskName: headers.task };
    const task = this.#app.getTask(headers.task);
    if (!task) {
      const error = new NotRegistered(headers.task);
      await this.#storeQuietly(headers.id, this.#failureMeta(message, toExceptionInfo(error), null));
      return { ...base, action: 'delete', state: TaskState.FAILURE, reason: error.message };
    }
    const expires = headers.expires === null ? undefined : parseIsoDateTime(headers.expires);
    const eta = headers.eta === null ? undefined : parseIsoDateTime(headers.eta);
    if (expires === undefined && headers.expires !== null) {
      return this.#invalid(
        new InvalidTaskError(`Unreadable expires header ${JSON.stringify(headers.expires)}`, {
          taskId: headers.id,
        }),
        headers.id,
      );
    }
    if (eta === undefined && headers.eta !== null) {
      return this.#invalid(
        new InvalidTaskError(`Unreadable eta header ${JSON.stringify(headers.eta)}`, { taskId: headers.id }),
        headers.id,
      );
    }
    if (expires && expires.getTime() <= this.#now()) {
      await this.#storeQuietly(headers.id, this.#revokedMeta(message, 'expired'));
      return { ...base, action: 'delete', state: TaskState.REVOKED, reason: `expired at ${headers.expires}` };
    }
    if (eta) {
      const waitMs = eta.getTime() - this.#now();
      if (waitMs >= 1000) return this.#redelay(message, waitMs);
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
    return this.#claimAndRun(message, task);
  }

  async #invalid(error: unknown, taskId: string | undefined): Promise<MessageOutcome> {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (taskId) {
      const meta = buildResultMeta({
        taskId,
        status: TaskState.FAILURE,
        result: invalidInfo(error),
        traceback: null,
        dateDone: new Date(this.#now()),
      });
      await this.#storeQuietly(taskId, meta);
    }
    return {
      action: 'reject',
      state: 'INVALID',
      reason: `${reason} (left on the queue: after maxReceiveCount deliveries it moves to the dead-letter queue)`,
      ...(taskId ? { taskId } : {}),
    };
  }

  async #redelay(message: TaskMessage, waitMs: number): Promise<MessageOutcome> {
    const base = { taskId: message.headers.id, taskName: message.headers.task };
    const waitSeconds = Math.ceil(waitMs / 1000);
    const { broker } = this.#app.transport;
    if (isFifoQueueName(this.#ctx.queueName) || this.#message.queueUrl.endsWith('.fifo')) {
      // A FIFO queue takes no per-message delay; keeping the message invisible also keeps its group in order.
      return {
        ...base,
        action: 'retry-later',
        delaySeconds: Math.min(waitSeconds, MAX_VISIBILITY_SECONDS),
        state: 'DELAYED',
        reason: `eta ${message.headers.eta}`,
      };
    }
    try {
      await broker.send(this.#message.queueUrl, [
        {
          body: this.#message.body,
          delaySeconds: Math.min(waitSeconds, MAX_DELAY_SECONDS),
          attributes: this.#message.attributes,
        },
      ]);
    } catch (error) {
      return {
        ...base,
        action: 'retry-later',
        delaySeconds: TRANSIENT_RETRY_SECONDS,
        state: 'DELAYED',
        reason: `re-delay failed: ${String(error)}`,
      };
    }
    return {
      ...base,
      action: 'delete',
      state: 'DELAYED',
      reason: `eta ${message.headers.eta}, ${waitSeconds} s away`,
    };
  }

  async #claimAndRun(message: TaskMessage, task: Task<never, unknown>): Promise<MessageOutcome> {
    const { headers } = message;
    const base = { taskId: headers.id, taskName: headers.task };
    const ignoreResult = headers.ignore_result || task.options.ignoreResult === true;
    const trackStarted = task.options.trackStarted === true && !ignoreResult;
    const ttl = ignoreResult
      ? { ttlSeconds: this.#app.config.resultTtlSeconds ?? IGNORED_RESULT_TTL_SECONDS }
      : this.#ttl();
    let outcome: ClaimOutcome;
    try {
      outcome = await this.#app.transport.results.claim({
        taskId: headers.id,
        owner: this.#owner,
        attempt: headers.retries,
        leaseMs: this.#ctx.leaseMs,
        nowMs: this.#now(),
        ...(trackStarted
          ? {
              runningMeta: this.#meta(
                message,
                TaskState.STARTED,
                { pid: this.#ctx.identity.pid, hostname: this.#ctx.identity.hostname },
                null,
                false,
              ),
            }
          : {}),
        ...ttl,
      });
    } catch (error) {
      return {
        ...base,
        action: 'retry-later',
        delaySeconds: TRANSIENT_RETRY_SECONDS,
        state: 'UNCLAIMED',
        reason: `claim failed: ${String(error)}`,
      };
    }
    switch (outcome.kind) {
      case 'finished':
        return { ...base, action: 'delete', state: 'DUPLICATE', reason: `already ${outcome.state}` };
      case 'stale':
        return {
          ...base,
          action: 'delete',
          state: 'DUPLICATE',
          reason: `attempt ${headers.retries} was already retried (now at ${outcome.recordedAttempt})`,
        };
      case 'busy': {
        const seconds = Math.ceil((outcome.leaseExpiresAtMs - this.#now()) / 1000);
        return {
          ...base,
          action: 'retry-later',
          delaySeconds: Math.min(Math.max(seconds, 1), MAX_DELAY_SECONDS),
          state: 'BUSY',
          reason: 'another delivery is running it',
        };
      }
      case 'claimed':
        break;
    }
    this.#ctx.onClaimed?.({ taskId: headers.id, owner: this.#owner });
    const started = this.#now();
    const result = await this.#execute(message, task);
    const runtimeMs = this.#now() - started;
    try {
      return { ...base, ...(await this.#finish(message, task, result, ignoreResult, ttl)), runtimeMs };
    } catch (error) {
      // The run happened but its outcome could not be recorded: release the claim so a redelivery runs it again.
      await this.#release(headers.id);
      return {
        ...base,
        action: 'retry-later',
        delaySeconds: TRANSIENT_RETRY_SECONDS,
        state: 'UNRECORDED',
        reason: `recording the outcome failed: ${String(error)}`,
        runtimeMs,
      };
    }
  }

  async #release(taskId: string): Promise<void> {
    try {
      await this.#app.transport.results.renewClaim({
        taskId,
        owner: this.#owner,
        leaseMs: 0,
        nowMs: this.#now(),
      });
    } catch (error) {
      this.#ctx.log?.(`could not release the claim on ${taskId}: ${String(error)}`);
    }
  }

  async #execute(message: TaskMessage, task: Task<never, unknown>): Promise<RunResult> {
    const { headers } = message;
    const abort = new AbortController();
    const stop = this.#ctx.signal;
    const onStop = (): void => abort.abort(stop?.reason);
    stop?.addEventListener('abort', onStop, { once: true });
    const [hard, soft] = headers.timelimit;
    const context: TaskContext = {
      taskId: headers.id,
      name: headers.task,
      retries: headers.retries,
      args: message.args,
      kwargs: message.kwargs,
      signal: abort.signal,
      queue: this.#ctx.queueName,
      rootId: headers.root_id,
      parentId: headers.parent_id,
      groupId: headers.group,
      hostname: this.#ctx.identity.hostname,
      updateState: async (state: string, meta?: unknown) => {
        const stored = await this.#app.payloads.offloadMeta(
          this.#meta(message, state, meta ?? null, null, false),
        );
        await this.#app.transport.results.put(headers.id, stored, { nowMs: this.#now(), ...this.#ttl() });
      },
      retry: (options?: RetryOptions) => new Retry(options),
    };
    try {
      return await runTask(
        task.fn as TaskFunction<unknown[], unknown>,
        context,
        abort,
        message.args,
        message.kwargs,
        {
          timeLimitSeconds: hard ?? task.options.timeLimitSeconds ?? null,
          softTimeLimitSeconds: soft ?? task.options.softTimeLimitSeconds ?? null,
        },
      );
    } finally {
      stop?.removeEventListener('abort', onStop);
    }
  }

  async #finish(
    message: TaskMessage,
    task: Task<never, unknown>,
    result: RunResult,
    ignoreResult: boolean,
    ttl: { ttlSeconds?: number },
  ): Promise<Pick<MessageOutcome, 'action' | 'state' | 'reason'>> {
    const { headers } = message;
    const results = this.#app.transport.results;
    const complete = async (meta: ResultMeta | undefined, state: string): Promise<void> => {
      const stored = meta ? await this.#app.payloads.offloadMeta(meta) : undefined;
      await results.complete({
        taskId: headers.id,
        owner: this.#owner,
        attempt: headers.retries,
        meta: stored,
        state,
        nowMs: this.#now(),
        ...ttl,
      });
      // A chord header counts once it finished for good (not on RETRY), after its result is stored, as in Celery.
      if (state === TaskState.SUCCESS || state === TaskState.FAILURE) {
        const line = await onChordPartReturn(this.#app, message);
        if (line) this.#ctx.log?.(line);
      }
    };
    let run = result;
    if (run.kind === 'failure' && this.#autoretries(task, run.error)) {
      run = {
        kind: 'retry',
        retry: new Retry({ exc: run.error, countdown: this.#backoff(task, headers.retries) }),
      };
    }
    switch (run.kind) {
      case 'success': {
        try {
          const sends = successFollowUps(this.#app, message, run.value);
          await this.#app.producer.send(sends);
          const children = sends.map((send) => childTuple(send.taskId));
          const meta = this.#meta(message, TaskState.SUCCESS, run.value, null, true, children);
          await complete(ignoreResult ? undefined : meta, TaskState.SUCCESS);
        } catch (error) {
          // A result that cannot travel (not JSON, too large) fails the task with that reason instead.
          if (error instanceof PayloadTooLargeError || error instanceof EncodeError) {
            return this.#fail(message, error, false, complete);
          }
          throw error;
        }
        return { action: 'delete', state: TaskState.SUCCESS };
      }
      case 'retry': {
        const retry = run.retry.options;
        const maxRetries =
          retry.maxRetries !== undefined
            ? retry.maxRetries
            : task.options.maxRetries === undefined
              ? 3
              : task.options.maxRetries;
        if (maxRetries !== null && headers.retries >= maxRetries) {
          const error = retry.exc ?? new MaxRetriesExceededError(headers.id, headers.retries);
          return this.#fail(
            message,
            error,
            ignoreResult && task.options.storeErrorsEvenIfIgnored !== true,
            complete,
          );
        }
        const countdown = retry.countdown ?? task.options.defaultRetryDelaySeconds ?? 180;
        const eta = retry.eta ?? new Date(this.#now() + countdown * 1000);
        await this.#app.producer.send([
          retryRequest(this.#app, message, { url: this.#message.queueUrl, name: this.#ctx.queueName }, eta),
        ]);
        const reason = retry.exc === undefined ? null : toExceptionInfo(retry.exc);
        const meta = this.#meta(message, TaskState.RETRY, reason, traceOf(retry.exc ?? run.retry), false, [
          childTuple(headers.id),
        ]);
        await complete(ignoreResult ? undefined : meta, TaskState.RETRY);
        return {
          action: 'delete',
          state: TaskState.RETRY,
          reason: `retry ${headers.retries + 1} at ${eta.toISOString()}`,
        };
      }
      case 'ignore':
        await complete(undefined, TaskState.SUCCESS);
        return { action: 'delete', state: TaskState.IGNORED };
      case 'reject':
        if (run.reject.requeue) {
          await this.#release(headers.id);
          return { action: 'reject', state: TaskState.REJECTED, reason: run.reject.message };
        }
        return this.#fail(message, run.reject, ignoreResult, complete);
      case 'failure':
        return this.#fail(
          message,
          run.error,
          ignoreResult && task.options.storeErrorsEvenIfIgnored !== true,
          complete,
        );
    }
  }

  async #fail(
    message: TaskMessage,
    error: unknown,
    hide: boolean,
    complete: (meta: ResultMeta | undefined, state: string) => Promise<void>,
  ): Promise<Pick<MessageOutcome, 'action' | 'state' | 'reason'>> {
    const info = toExceptionInfo(error);
    const traceback = traceOf(error);
    await this.#app.producer.send(failureFollowUps(this.#app, message));
    for (const chainId of pendingChainIds(message)) {
      await this.#storeQuietly(chainId, { ...this.#failureMeta(message, info, traceback), task_id: chainId });
    }
    try {
      await complete(hide ? undefined : this.#failureMeta(message, info, traceback), TaskState.FAILURE);
    } catch (storeError) {
      if (!(storeError instanceof PayloadTooLargeError || storeError instanceof EncodeError))
        throw storeError;
      // The exception itself cannot be stored (huge or unserializable arguments): keep its type, say why.
      const brief = { ...info, exc_message: [`${describe(error).slice(0, 1000)} (${storeError.message})`] };
      await complete(this.#failureMeta(message, brief, null), TaskState.FAILURE);
    }
    return { action: 'delete', state: TaskState.FAILURE, reason: `${info.exc_type}: ${describe(error)}` };
  }

  #autoretries(task: Task<never, unknown>, error: unknown): boolean {
    return (task.options.autoretryFor ?? []).some((type) => error instanceof type);
  }

  /** Celery's `get_exponential_backoff_interval` for autoretries. */
  #backoff(task: Task<never, unknown>, retries: number): number {
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

  #meta(
    message: TaskMessage,
    status: string,
    result: unknown,
    traceback: string | null,
    ready: boolean,
    children: unknown[] = [],
  ): ResultMeta {
    const { headers } = message;
    return buildResultMeta({
      taskId: headers.id,
      status,
      result,
      traceback,
      children,
      dateDone: ready ? new Date(this.#now()) : null,
      groupId: headers.group,
      parentId: headers.parent_id,
      ...(this.#app.config.resultExtended
        ? {
            extended: {
              name: headers.task,
              args: message.args,
              kwargs: message.kwargs,
              worker: this.#ctx.identity.hostname,
              retries: headers.retries,
              queue: this.#ctx.queueName,
            },
          }
        : {}),
    });
  }

  #failureMeta(message: TaskMessage, info: ExceptionInfo, traceback: string | null): ResultMeta {
    return this.#meta(message, TaskState.FAILURE, info, traceback, true);
  }

  #revokedMeta(message: TaskMessage, reason: string): ResultMeta {
    return this.#meta(
      message,
      TaskState.REVOKED,
      { exc_type: 'TaskRevokedError', exc_message: [reason], exc_module: 'celery.exceptions' },
      null,
      true,
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A traceback string for an error: its stack, as Celery stores Python's formatted traceback. */
function traceOf(error: unknown): string | null {
  if (error instanceof Error && typeof error.stack === 'string') return error.stack;
  return isCeleriacError(error) ? String(error) : null;
}

/**
 * Processes one received message and says what the host should do with it. Never throws: every failure
 * becomes an outcome.
 *
 * @example
 * const outcome = await executeMessage(message, { app, identity, leaseMs: 60_000, queueName: 'celery' });
 * if (outcome.action === 'delete') await broker.delete(message.queueUrl, [message.receiptHandle]);
 */
export async function executeMessage(
  message: InboundMessage,
  context: ExecutionContext,
): Promise<MessageOutcome> {
  try {
    return await new Execution(context, message).run();
  } catch (error) {
    context.log?.(
      `unexpected error processing message ${message.messageId}: ${error instanceof Error ? error.stack : String(error)}`,
    );
    return {
      action: 'retry-later',
      delaySeconds: TRANSIENT_RETRY_SECONDS,
      state: 'ERROR',
      reason: describe(error),
    };
  }
}
