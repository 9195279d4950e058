/**
 * The execution core: what happens to one received message, on any host. No AWS SDK, no Lambda types; the
 * host turns the returned {@link MessageOutcome} into SQS calls.
 *
 * Per message:
 * 1. resolve an S3 pointer and decode; a message that cannot be decoded is rejected (SQS redelivers it until the
 *    dead-letter queue takes it), and FAILURE is stored when it names a task id, so a waiting caller learns why;
 * 2. an unknown task name stores FAILURE `NotRegistered` and the message is deleted (not retried);
 * 3. an expired task stores REVOKED (`TaskRevokedError('expired')`) and is not run;
 * 4. an ETA in the future is re-delayed (a copy sent with `DelaySeconds`, up to 900 s a hop), never held;
 * 5. the task id is claimed in one conditional write, which refuses finished, revoked and stale deliveries and
 *    duplicates held by a live lease;
 * 6. the task runs (STARTED first with `trackStarted`), then `finishRun` sends its follow-ups and stores its
 *    result in Celery's shape (nothing visible with `ignoreResult`);
 * 7. the message is deleted once its outcome is stored; when storing fails for a reason that may pass, the
 *    message is left for redelivery instead, and when the worker is shutting down the task is handed back.
 */
import type { App } from '../app.js';
import { BackendError, InvalidTaskError, NotRegistered, Retry, type RetryOptions } from '../errors.js';
import { toExceptionInfo } from '../exception-table.js';
import type { ClaimOutcome } from '../ports/result-store.js';
import { decodeSqsMessageBody } from '../protocol/envelope.js';
import type { ExceptionInfo } from '../protocol/exception-info.js';
import { parseIsoDateTime } from '../protocol/iso-time.js';
import { isFifoQueueName } from '../protocol/queue-name.js';
import { buildResultMeta, type ResultMeta } from '../protocol/result-meta.js';
import { TaskState } from '../protocol/states.js';
import { decodeTaskMessage, type TaskMessage } from '../protocol/task-message.js';
import type { Task, TaskContext, TaskFunction } from '../task.js';
import { onChordPartReturn } from './chord.js';
import { describeError, type FinishContext, finishRun, storeOutcome, traceOf } from './finish-run.js';
import type { InboundMessage, MessageOutcome } from './message-outcome.js';
import { type RunResult, runTask } from './run-task.js';
import { TaskRecord } from './task-record.js';
import type { WorkerIdentity } from './worker-identity.js';

/** SQS's largest per-message delay. */
const MAX_DELAY_SECONDS = 900;
/**
 * How long a FIFO message may be kept invisible in one go: SQS refuses a visibility that reaches 12 hours after
 * the message was received, so stay a little under it.
 */
const MAX_HIDE_SECONDS = 43_200 - 300;
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
  /**
   * Aborted when the host is stopping (`celeriac worker` on SIGTERM): passed on to the task's signal, and a run
   * that ends because of it (its reason, a `WorkerShutdown`) is handed back to the queue, not recorded.
   * The Lambda host passes none: a function past its timeout is stopped by Lambda, and SQS redelivers the message.
   */
  readonly signal?: AbortSignal;
  /** Called once the task id is claimed, so the host can renew the lease while the task runs. */
  readonly onClaimed?: (claim: { readonly taskId: string; readonly owner: string }) => void;
  /** Where diagnostic lines go (the per-task line is the host's). Default: nowhere. */
  readonly log?: (line: string) => void;
}

const invalidInfo = (error: unknown): ExceptionInfo => {
  const info = toExceptionInfo(error);
  const kombu = ['ContentDisallowed', 'DecodeError', 'EncodeError'].includes(info.exc_type);
  const module = kombu
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

const isRetryable = (error: unknown): boolean => error instanceof BackendError && error.retryable;

/** Whether a task's error is the host's stop: the abort reason itself, or the AbortError it caused. */
function stoppedBy(error: unknown, reason: unknown): boolean {
  if (error === reason) return true;
  const shaped = error as { name?: unknown; cause?: unknown } | null;
  return shaped?.cause === reason || shaped?.name === 'AbortError';
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

  /** Stores a meta outside a claim; false (and logged) when the store failed. */
  async #store(taskId: string, meta: ResultMeta): Promise<boolean> {
    try {
      await this.#app.transport.results.put(taskId, await this.#app.payloads.offloadMeta(meta), {
        nowMs: this.#now(),
        ...this.#ttl(),
      });
      return true;
    } catch (error) {
      this.#ctx.log?.(`could not store ${meta.status} for ${taskId}: ${describeError(error)}`);
      return false;
    }
  }

  #later(base: Pick<MessageOutcome, 'taskId' | 'taskName'>, state: string, reason: string): MessageOutcome {
    return { ...base, action: 'retry-later', delaySeconds: TRANSIENT_RETRY_SECONDS, state, reason };
  }

  async run(): Promise<MessageOutcome> {
    let body: string;
    try {
      body = await this.#app.payloads.resolveMessage(this.#message.body, this.#message.attributes);
    } catch (error) {
      if (isRetryable(error)) return this.#later({}, 'UNRESOLVED', describeError(error));
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
    const record = new TaskRecord(this.#app, message, this.#ctx.identity, this.#ctx.queueName);
    const task = this.#app.getTask(headers.task);
    if (!task) {
      const error = new NotRegistered(headers.task);
      if (!(await this.#store(headers.id, record.failure(toExceptionInfo(error), null)))) {
        return this.#later(base, 'UNRECORDED', 'storing FAILURE NotRegistered failed');
      }
      return { ...base, action: 'delete', state: TaskState.FAILURE, reason: error.message };
    }
    const expires = headers.expires === null ? undefined : parseIsoDateTime(headers.expires);
    const eta = headers.eta === null ? undefined : parseIsoDateTime(headers.eta);
    if (expires === undefined && headers.expires !== null) {
      const reason = `Unreadable expires header ${JSON.stringify(headers.expires)}`;
      return this.#invalid(new InvalidTaskError(reason, { taskId: headers.id }), headers.id);
    }
    if (eta === undefined && headers.eta !== null) {
      const reason = `Unreadable eta header ${JSON.stringify(headers.eta)}`;
      return this.#invalid(new InvalidTaskError(reason, { taskId: headers.id }), headers.id);
    }
    if (expires && expires.getTime() <= this.#now()) {
      if (!(await this.#store(headers.id, record.revoked('expired')))) {
        return this.#later(base, 'UNRECORDED', 'storing REVOKED failed');
      }
      // An expired chord member still counts towards its chord (the body then fails with ChordError).
      const failed = await this.#chordStep(message);
      if (failed) return this.#later(base, 'UNRECORDED', `chord step failed: ${failed.message}`);
      return { ...base, action: 'delete', state: TaskState.REVOKED, reason: `expired at ${headers.expires}` };
    }
    if (eta) {
      const waitMs = eta.getTime() - this.#now();
      if (waitMs >= 1000) return this.#redelay(message, waitMs);
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
    return this.#claimAndRun(message, task, record);
  }

  /** Runs the chord step of a finished header task; returns the error when it failed (and logs what happened). */
  async #chordStep(message: TaskMessage): Promise<Error | undefined> {
    try {
      const line = await onChordPartReturn(this.#app, message);
      if (line) this.#ctx.log?.(line);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
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
      await this.#store(taskId, meta);
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
    if (isFifoQueueName(this.#ctx.queueName) || this.#message.queueUrl.endsWith('.fifo')) {
      // A FIFO queue takes no per-message delay; keeping the message invisible also keeps its group in order.
      // Each hop (at most ~12 hours) is one more receive towards the queue's maxReceiveCount.
      const delaySeconds = Math.min(waitSeconds, MAX_HIDE_SECONDS);
      return {
        ...base,
        action: 'retry-later',
        delaySeconds,
        state: 'DELAYED',
        reason: `eta ${message.headers.eta}`,
      };
    }
    try {
      await this.#app.transport.broker.send(this.#message.queueUrl, [
        {
          body: this.#message.body,
          delaySeconds: Math.min(waitSeconds, MAX_DELAY_SECONDS),
          attributes: this.#message.attributes,
        },
      ]);
    } catch (error) {
      return this.#later(base, 'DELAYED', `re-delay failed: ${describeError(error)}`);
    }
    return {
      ...base,
      action: 'delete',
      state: 'DELAYED',
      reason: `eta ${message.headers.eta}, ${waitSeconds} s away`,
    };
  }

  #handBack(base: Pick<MessageOutcome, 'taskId' | 'taskName'>): MessageOutcome {
    return {
      ...base,
      action: 'retry-later',
      delaySeconds: 0,
      state: 'HANDED_BACK',
      reason: 'the worker is stopping',
    };
  }

  async #claimAndRun(
    message: TaskMessage,
    task: Task<never, unknown>,
    record: TaskRecord,
  ): Promise<MessageOutcome> {
    const { headers } = message;
    const base = { taskId: headers.id, taskName: headers.task };
    if (this.#ctx.signal?.aborted) return this.#handBack(base);
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
        ...(trackStarted ? { runningMeta: record.started() } : {}),
        ...ttl,
      });
    } catch (error) {
      return this.#later(base, 'UNCLAIMED', `claim failed: ${describeError(error)}`);
    }
    switch (outcome.kind) {
      case 'finished': {
        // A redelivery of a finished chord member repeats the chord step, in case it was cut short before.
        const failed = await this.#chordStep(message);
        if (failed) return this.#later(base, 'DUPLICATE', `chord step failed: ${failed.message}`);
        return { ...base, action: 'delete', state: 'DUPLICATE', reason: `already ${outcome.state}` };
      }
      case 'stale': {
        const reason = `attempt ${headers.retries} was already retried (now at ${outcome.recordedAttempt})`;
        return { ...base, action: 'delete', state: 'DUPLICATE', reason };
      }
      case 'busy': {
        // A retry that arrives while the attempt that sent it is still recording its RETRY: look again shortly,
        // not at the end of that attempt's lease.
        const handingOver = outcome.heldByAttempt !== undefined && outcome.heldByAttempt < headers.retries;
        const leftSeconds = Math.ceil((outcome.leaseExpiresAtMs - this.#now()) / 1000);
        const seconds = handingOver ? Math.min(leftSeconds, TRANSIENT_RETRY_SECONDS) : leftSeconds;
        const delaySeconds = Math.min(Math.max(seconds, 1), MAX_DELAY_SECONDS);
        return {
          ...base,
          action: 'retry-later',
          delaySeconds,
          state: 'BUSY',
          reason: 'another delivery is running it',
        };
      }
      case 'claimed':
        break;
    }
    this.#ctx.onClaimed?.({ taskId: headers.id, owner: this.#owner });
    const started = this.#now();
    const result = await this.#execute(message, task, record);
    const runtimeMs = this.#now() - started;
    const stopping = this.#ctx.signal;
    if (stopping?.aborted && result.kind === 'failure' && stoppedBy(result.error, stopping.reason)) {
      await this.#release(headers.id);
      return { ...this.#handBack(base), runtimeMs };
    }
    const finish: FinishContext = {
      app: this.#app,
      message,
      task,
      record,
      owner: this.#owner,
      queue: { url: this.#message.queueUrl, name: this.#ctx.queueName },
      ignoreResult,
      ttl,
      release: () => this.#release(headers.id),
      ...(this.#ctx.log ? { log: this.#ctx.log } : {}),
    };
    try {
      return { ...base, ...(await finishRun(finish, result)), runtimeMs };
    } catch (error) {
      return { ...base, ...(await this.#unrecorded(finish, error)), runtimeMs };
    }
  }

  /**
   * The run happened but sending its follow-ups or storing its outcome failed. A failure that may pass (a
   * throttled or unreachable service) releases the claim so a redelivery runs the task again; any other one (a
   * queue that does not exist, a missing permission, a follow-up with a bad id) fails the task with that error,
   * as Celery does when a callback cannot be sent, instead of running it again and again.
   */
  async #unrecorded(
    finish: FinishContext,
    error: unknown,
  ): Promise<Omit<MessageOutcome, 'taskId' | 'taskName'>> {
    const { headers } = finish.message;
    if (!isRetryable(error)) {
      try {
        const info = toExceptionInfo(error);
        await storeOutcome(finish, finish.record.failure(info, traceOf(error)), TaskState.FAILURE);
        return {
          action: 'delete',
          state: TaskState.FAILURE,
          reason: `recording the outcome failed: ${describeError(error)}`,
        };
      } catch (storeError) {
        this.#ctx.log?.(`could not store FAILURE for ${headers.id}: ${describeError(storeError)}`);
      }
    }
    await this.#release(headers.id);
    return {
      action: 'retry-later',
      delaySeconds: TRANSIENT_RETRY_SECONDS,
      state: 'UNRECORDED',
      reason: `recording the outcome failed: ${describeError(error)}`,
    };
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
      this.#ctx.log?.(`could not release the claim on ${taskId}: ${describeError(error)}`);
    }
  }

  async #execute(message: TaskMessage, task: Task<never, unknown>, record: TaskRecord): Promise<RunResult> {
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
        // Only while this run holds the claim: progress reported after a time limit cannot replace FAILURE.
        const stored = await this.#app.payloads.offloadMeta(record.meta(state, meta ?? null, null, false));
        await this.#app.transport.results.put(headers.id, stored, {
          nowMs: this.#now(),
          owner: this.#owner,
          ...this.#ttl(),
        });
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
      reason: describeError(error),
    };
  }
}
