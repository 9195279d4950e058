/**
 * The task events of one message, as Celery's worker sends them (`strategy.py`, `request.py`), decided from what
 * the execution core already knows: the admission or claim refusal, the run's result, the outcome.
 *
 * | what happened                                  | events                                                  |
 * |------------------------------------------------|---------------------------------------------------------|
 * | claimed and ran                                | `task-received`, `task-started`, then one of the below  |
 * | returned                                       | `task-succeeded` (`result` is `saferepr`, `runtime` s)  |
 * | threw, or `Reject(requeue=false)`              | `task-failed`, or `task-rejected` with `requeue: false` |
 * | `retry()` / `autoretryFor`                     | `task-retried`                                          |
 * | `Reject(requeue=true)`                         | `task-rejected` with `requeue: true`                    |
 * | revoked with terminate while it ran            | `task-revoked` with `terminated: true`                  |
 * | expired before it ran                          | `task-revoked` with `expired: true` (no `task-received`)|
 * | revoked before it ran                          | `task-revoked` (no `task-received`, as Celery)          |
 * | task not registered                            | `task-failed` with `NotRegistered('name')`              |
 *
 * Duplicates, busy claims, ETA re-delays, hand-backs and transient failures send nothing: the delivery that runs
 * the task sends its events. Built only when the runtime has a dispatcher.
 */
import { MaxRetriesExceededError } from '../errors.js';
import type { EventDispatcher } from '../events/event-dispatcher.js';
import { exceptionRepr } from '../events/exception-repr.js';
import { taskReceivedFields } from '../events/task-sent-event.js';
import { toExceptionInfo } from '../exception-table.js';
import { clipText } from '../protocol/clip-text.js';
import { valueRepr } from '../protocol/python-repr.js';
import { TaskState } from '../protocol/states.js';
import type { TaskMessage } from '../protocol/task-message.js';
import type { ExecutionContext } from './execution-context.js';
import { traceOf } from './finish-run.js';
import { type MessageOutcome, MessageState } from './message-outcome.js';
import type { RunResult } from './run-task.js';
import type { WorkerIdentity } from './worker-identity.js';

/** The signal number Celery reports for a terminating revoke (`SIGTERM`). */
const SIGTERM = '15';

/**
 * The longest `exception` and `traceback` an event carries, in characters. Celery sends them whole, but an
 * EventBridge event holds 256 KiB: a longer one would be dropped, and the task would look STARTED for good.
 * Even escaped as JSON (six bytes a character at worst) both fit with room for the rest.
 */
export const MAX_EXCEPTION_CHARS = 4096;
export const MAX_TRACEBACK_CHARS = 16_384;

const reprOf = (error: unknown): string =>
  clipText(exceptionRepr(toExceptionInfo(error)), MAX_EXCEPTION_CHARS);
const traceText = (error: unknown): string | null => {
  const trace = traceOf(error);
  return trace === null ? null : clipText(trace, MAX_TRACEBACK_CHARS);
};

/** Sends the task events of one message for a worker. */
export class TaskEvents {
  readonly #events: EventDispatcher;
  readonly #sender: WorkerIdentity;

  private constructor(events: EventDispatcher, sender: WorkerIdentity) {
    this.#events = events;
    this.#sender = sender;
  }

  /** The events of a host's context, or `undefined` when no sink is configured. */
  static of(ctx: ExecutionContext): TaskEvents | undefined {
    const events = ctx.runtime.events;
    return events ? new TaskEvents(events, ctx.identity) : undefined;
  }

  /** A message that will not run: refused at admission (expired, unknown task) or at the claim. */
  refused(outcome: MessageOutcome): void {
    const uuid = outcome.taskId;
    if (uuid === undefined) return;
    if (outcome.state === MessageState.REVOKED) {
      this.#send('task-revoked', { uuid, terminated: false, signum: null, expired: true });
    } else if (outcome.state === MessageState.FAILURE && outcome.taskName !== undefined) {
      // The one FAILURE admission stores: an unregistered task (Celery's `on_unknown_task`).
      this.#send('task-failed', {
        uuid,
        exception: clipText(`NotRegistered(${valueRepr(outcome.taskName)})`, MAX_EXCEPTION_CHARS),
        traceback: null,
      });
    } else if (
      outcome.state === MessageState.DUPLICATE &&
      outcome.reason === `already ${TaskState.REVOKED}`
    ) {
      this.#send('task-revoked', { uuid, terminated: false, signum: null, expired: false });
    }
  }

  /** The task id is claimed: it is received and starts. */
  started(message: TaskMessage): void {
    this.#send('task-received', taskReceivedFields(message));
    this.#send('task-started', { uuid: message.headers.id });
  }

  /** How the run ended, once its outcome is recorded. */
  finished(message: TaskMessage, result: RunResult, outcome: MessageOutcome): void {
    const { headers } = message;
    const uuid = headers.id;
    switch (outcome.state) {
      case MessageState.SUCCESS:
        this.#send('task-succeeded', {
          uuid,
          result: valueRepr(result.kind === 'success' ? result.value : null),
          runtime: (outcome.runtimeMs ?? 0) / 1000,
        });
        return;
      case MessageState.RETRY: {
        const exc =
          result.kind === 'retry'
            ? result.retry.options.exc
            : result.kind === 'failure'
              ? result.error
              : undefined;
        this.#send('task-retried', {
          uuid,
          exception: exc === undefined ? 'None' : reprOf(exc),
          traceback: exc === undefined ? null : traceText(exc),
        });
        return;
      }
      case MessageState.FAILURE: {
        if (result.kind === 'reject') {
          this.#send('task-rejected', { uuid, requeue: false });
          return;
        }
        const error =
          result.kind === 'failure'
            ? result.error
            : result.kind === 'retry'
              ? (result.retry.options.exc ?? MaxRetriesExceededError.forTask(uuid, headers.retries))
              : undefined;
        this.#send('task-failed', {
          uuid,
          exception:
            error === undefined ? clipText(outcome.reason ?? 'None', MAX_EXCEPTION_CHARS) : reprOf(error),
          traceback: error === undefined ? null : traceText(error),
        });
        return;
      }
      case MessageState.REJECTED:
        this.#send('task-rejected', { uuid, requeue: true });
        return;
      case MessageState.REVOKED:
        this.#send('task-revoked', { uuid, terminated: true, signum: SIGTERM, expired: false });
        return;
      default:
        return;
    }
  }

  #send: EventDispatcher['send'] = (type, fields) => this.#events.send(type, fields, this.#sender);
}
