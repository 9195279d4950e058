/**
 * The result metas a worker stores for one task message, in Celery's shape: the same ids, group, parent and
 * (with `resultExtended`) the request's fields on every state it writes.
 */
import type { ExceptionInfo } from '../protocol/exception-info.js';
import { buildResultMeta, type ResultMeta } from '../protocol/result-meta.js';
import { revokedExceptionInfo } from '../protocol/revoked-exception.js';
import { TaskState } from '../protocol/states.js';
import type { TaskMessage } from '../protocol/task-message.js';
import type { Runtime } from '../runtime.js';
import type { WorkerIdentity } from './worker-identity.js';

/** Builds the metas of one task message. */
export class TaskRecord {
  readonly #runtime: Pick<Runtime, 'clock' | 'settings'>;
  readonly #message: TaskMessage;
  readonly #identity: WorkerIdentity;
  readonly #queueName: string;

  constructor(
    runtime: Pick<Runtime, 'clock' | 'settings'>,
    message: TaskMessage,
    identity: WorkerIdentity,
    queueName: string,
  ) {
    this.#runtime = runtime;
    this.#message = message;
    this.#identity = identity;
    this.#queueName = queueName;
  }

  /** A meta in `status`; `ready` states get a `date_done`. */
  meta(
    status: string,
    result: unknown,
    traceback: string | null,
    ready: boolean,
    children: unknown[] = [],
  ): ResultMeta {
    const { headers, args, kwargs } = this.#message;
    return buildResultMeta({
      taskId: headers.id,
      status,
      result,
      traceback,
      children,
      dateDone: ready ? new Date(this.#runtime.clock.now()) : null,
      groupId: headers.group,
      parentId: headers.parent_id,
      ...(this.#runtime.settings.resultExtended
        ? {
            extended: {
              name: headers.task,
              args,
              kwargs,
              worker: this.#identity.hostname,
              retries: headers.retries,
              queue: this.#queueName,
            },
          }
        : {}),
    });
  }

  /** STARTED, with the worker's pid and node name, as Celery stores it. */
  started(): ResultMeta {
    return this.meta(
      TaskState.STARTED,
      { pid: this.#identity.pid, hostname: this.#identity.hostname },
      null,
      false,
    );
  }

  /** FAILURE with an exception in Celery's shape. */
  failure(info: ExceptionInfo, traceback: string | null): ResultMeta {
    return this.meta(TaskState.FAILURE, info, traceback, true);
  }

  /** REVOKED with `TaskRevokedError(reason)`, as Celery stores an expired or revoked task. */
  revoked(reason: string): ResultMeta {
    return this.meta(TaskState.REVOKED, revokedExceptionInfo(reason), null, true);
  }
}
