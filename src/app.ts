/**
 * The app: the task registry, the producer that sends Celery messages, and the way back to results. Written
 * against ports; `createApp()` in `index.ts` wires it to AWS, `celeriac/testing` to memory.
 */
import {
  type ApplyOptions,
  type InternalApplyOptions,
  type SendRequest,
  toSendRequest,
} from './apply-options.js';
import type { ResolvedConfig } from './config/resolve-config.js';
import type { ScheduleDefinition } from './config/schedule-definition.js';
import { ImproperlyConfigured, InvalidOptionError } from './errors.js';
import { type ErrorFactory, ErrorTable } from './exception-table.js';
import { Payloads } from './payloads.js';
import {
  type PeriodicTask,
  type PeriodicTaskSpec,
  toPeriodicTask,
  toScheduleDefinition,
} from './periodic.js';
import { Producer } from './producer.js';
import { buildResultMeta } from './protocol/result-meta.js';
import { TaskState } from './protocol/states.js';
import { QueueRouter } from './queue-router.js';
import { AsyncResult, type ResultBackendContext } from './result.js';
import { Task, type TaskFunction, type TaskOptions, type TaskSender } from './task.js';
import type { Transport } from './transport.js';

/** One call in {@link App.sendTasks}. */
export interface TaskCall {
  readonly name: string;
  readonly args?: readonly unknown[];
  readonly kwargs?: Readonly<Record<string, unknown>>;
  readonly options?: ApplyOptions;
}

/** A Celery app on a transport. */
export class App implements TaskSender {
  readonly config: ResolvedConfig;
  readonly transport: Transport;
  readonly router: QueueRouter;
  readonly producer: Producer;
  /** Offloads and resolves large messages and results (the payload bucket). */
  readonly payloads: Payloads;
  /** Errors this app rebuilds from stored failures; register your own with {@link App.registerError}. */
  readonly errors = new ErrorTable();
  readonly #tasks = new Map<string, Task<never, unknown>>();
  readonly #periodic = new Map<string, PeriodicTask>();

  constructor(config: ResolvedConfig, transport: Transport, options: { origin?: string } = {}) {
    this.config = config;
    this.transport = transport;
    this.router = new QueueRouter(transport.broker, config.queueNamePrefix, config.queueUrls);
    this.payloads = new Payloads(transport.payloads, {
      payloadThresholdBytes: config.payloadThresholdBytes,
      resultThresholdBytes: config.resultThresholdBytes,
      maxPayloadBytes: config.maxPayloadBytes,
    });
    this.producer = new Producer(transport, this.router, this.payloads, options.origin);
  }

  /**
   * Registers a task. The function's `this` is the {@link TaskContext} when it is a `function` expression.
   *
   * @throws {ImproperlyConfigured} when the name is taken.
   * @example
   * const add = app.task('tasks.add', (a: number, b: number) => a + b);
   */
  task<A extends unknown[], R>(name: string, fn: TaskFunction<A, R>, options: TaskOptions = {}): Task<A, R> {
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidOptionError('name', 'a non-empty task name', name);
    }
    if (this.#tasks.has(name)) {
      throw new ImproperlyConfigured(
        'task',
        `A task named ${JSON.stringify(name)} is already registered in this app`,
      );
    }
    validateTaskOptions(name, options);
    const task = new Task<A, R>(name, fn, options, this);
    this.#tasks.set(name, task as unknown as Task<never, unknown>);
    return task;
  }

  /** The registered task called `name`, if any. */
  getTask(name: string): Task<never, unknown> | undefined {
    return this.#tasks.get(name);
  }

  /** Names of every registered task. */
  get taskNames(): string[] {
    return [...this.#tasks.keys()];
  }

  /**
   * Registers a periodic task: deployed as EventBridge Scheduler schedules by the `PeriodicTasks` construct, fired
   * locally by `celeriac beat`.
   *
   * @throws {ImproperlyConfigured} when the name is taken.
   * @example
   * app.periodic('nightly-cleanup', { task: cleanup, schedule: crontab({ minute: 0, hour: 4 }) });
   */
  periodic<A extends unknown[]>(name: string, spec: PeriodicTaskSpec<A>): PeriodicTask {
    if (this.#periodic.has(name)) {
      throw new ImproperlyConfigured(
        'periodic',
        `A periodic task named ${JSON.stringify(name)} is already registered in this app`,
      );
    }
    const entry = toPeriodicTask(name, spec as PeriodicTaskSpec);
    this.#periodic.set(name, entry);
    return entry;
  }

  /** Every registered periodic task. */
  get periodicTasks(): PeriodicTask[] {
    return [...this.#periodic.values()];
  }

  /**
   * The periodic tasks as the CDK construct deploys them (disabled ones included, marked disabled).
   *
   * @throws {UnsupportedScheduleError} for a schedule EventBridge Scheduler cannot fire exactly.
   */
  scheduleDefinitions(): ScheduleDefinition[] {
    return this.periodicTasks.map((entry) => toScheduleDefinition(this, entry));
  }

  /** Registers how to rebuild a remote exception type when a result holds it (see {@link ErrorTable}). */
  registerError(excType: string, factory: ErrorFactory): this {
    this.errors.register(excType, factory);
    return this;
  }

  /** The result handle for a task id. */
  asyncResult<R = unknown>(taskId: string): AsyncResult<R> {
    return new AsyncResult<R>(taskId, this.resultContext());
  }

  /** What result handles need from this app. */
  resultContext(): ResultBackendContext {
    return {
      results: this.transport.results,
      errors: this.errors,
      now: () => this.transport.clock.now(),
      resolveMeta: (meta) => this.payloads.resolveMeta(meta),
      forgetPayloads: (taskId) => this.payloads.forget(taskId),
    };
  }

  /**
   * Sends a task by name, for tasks defined elsewhere (in Python, say). Celery's `send_task`.
   *
   * @example
   * const result = await app.sendTask<number>('tasks.add', [2, 3]);
   */
  async sendTask<R = unknown>(
    name: string,
    args: readonly unknown[] = [],
    kwargs: Readonly<Record<string, unknown>> = {},
    options: ApplyOptions = {},
  ): Promise<AsyncResult<R>> {
    const [result] = await this.sendTasks<R>([{ name, args, kwargs, options }]);
    if (!result) throw new Error('unreachable: one call yields one result');
    return result;
  }

  /** Sends many tasks at once, batching messages per queue (`SendMessageBatch`). */
  async sendTasks<R = unknown>(calls: readonly TaskCall[]): Promise<AsyncResult<R>[]> {
    const requests = calls.map((call) =>
      this.#request(call.name, call.args ?? [], call.kwargs ?? {}, call.options ?? {}),
    );
    await this.producer.send(requests);
    return requests.map((request) => this.asyncResult<R>(request.taskId));
  }

  /** @internal Used by {@link Task.applyAsync}: merges the task's options into the call's. */
  applyTask<R>(
    task: Task<never, R>,
    args: readonly unknown[],
    kwargs: Readonly<Record<string, unknown>>,
    options: ApplyOptions,
  ): Promise<AsyncResult<R>> {
    return this.sendTask<R>(task.name, args, kwargs, options);
  }

  /** @internal Builds a validated send, applying the registered task's defaults. */
  sendRequest(
    name: string,
    args: readonly unknown[],
    kwargs: Readonly<Record<string, unknown>>,
    options: InternalApplyOptions,
  ): SendRequest {
    return this.#request(name, args, kwargs, options);
  }

  #request(
    name: string,
    args: readonly unknown[],
    kwargs: Readonly<Record<string, unknown>>,
    options: InternalApplyOptions,
  ): SendRequest {
    const task = this.#tasks.get(name);
    const merged: InternalApplyOptions = task
      ? {
          ...(task.options.ignoreResult === undefined ? {} : { ignoreResult: task.options.ignoreResult }),
          ...(task.options.timeLimitSeconds === undefined
            ? {}
            : { timeLimitSeconds: task.options.timeLimitSeconds }),
          ...(task.options.softTimeLimitSeconds === undefined
            ? {}
            : { softTimeLimitSeconds: task.options.softTimeLimitSeconds }),
          ...options,
        }
      : options;
    return toSendRequest(name, args, kwargs, merged, {
      queue: task?.options.queue ?? this.config.defaultQueue,
      nowMs: this.transport.clock.now(),
      newId: () => globalThis.crypto.randomUUID(),
    });
  }

  /**
   * Revokes a task: stores REVOKED so no worker will run it (a running task finishes). SQS has no broadcast
   * channel, so revocation is a record workers check when they claim a task, not a message.
   */
  async revoke(taskId: string): Promise<void> {
    const nowMs = this.transport.clock.now();
    await this.transport.results.put(
      taskId,
      buildResultMeta({
        taskId,
        status: TaskState.REVOKED,
        result: { exc_type: 'TaskRevokedError', exc_message: ['revoked'], exc_module: 'celery.exceptions' },
        dateDone: new Date(nowMs),
      }),
      {
        nowMs,
        ...(this.config.resultTtlSeconds === undefined ? {} : { ttlSeconds: this.config.resultTtlSeconds }),
      },
    );
  }
}

function validateTaskOptions(name: string, options: TaskOptions): void {
  const positive = (key: keyof TaskOptions): void => {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'number' || !(value > 0))) {
      throw new InvalidOptionError(`${name}: ${key}`, 'a number of seconds > 0', value);
    }
  };
  positive('timeLimitSeconds');
  positive('softTimeLimitSeconds');
  positive('retryBackoffMaxSeconds');
  if (
    options.timeLimitSeconds !== undefined &&
    options.softTimeLimitSeconds !== undefined &&
    options.softTimeLimitSeconds > options.timeLimitSeconds
  ) {
    throw new InvalidOptionError(
      `${name}: softTimeLimitSeconds`,
      `at most timeLimitSeconds (${options.timeLimitSeconds})`,
      options.softTimeLimitSeconds,
    );
  }
  if (
    options.maxRetries !== undefined &&
    options.maxRetries !== null &&
    (!Number.isInteger(options.maxRetries) || options.maxRetries < 0)
  ) {
    throw new InvalidOptionError(`${name}: maxRetries`, 'an integer >= 0 or null', options.maxRetries);
  }
  if (
    options.defaultRetryDelaySeconds !== undefined &&
    (typeof options.defaultRetryDelaySeconds !== 'number' || options.defaultRetryDelaySeconds < 0)
  ) {
    throw new InvalidOptionError(
      `${name}: defaultRetryDelaySeconds`,
      'a number of seconds >= 0',
      options.defaultRetryDelaySeconds,
    );
  }
}
