/**
 * The app: one object for what most users call. It composes three parts, each usable on its own:
 * - a {@link TaskRegistry} (tasks, periodic entries, the error table): what the app *has*;
 * - a {@link Client} (send, results, revoke): what the app *does* as a caller;
 * - a {@link Runtime} (ports, settings, clock, sender name): what hosts are handed to run the app's tasks.
 *
 * `createApp()` in `index.ts` wires it to AWS, `celeriac/testing` to memory. The Lambda handler and
 * `celeriac worker` take `{ registry, runtime }`, which an app is, so `createSqsHandler(app)` reads naturally.
 */
import type { ApplyOptions } from './apply-options.js';
import { Client, type RevokeOptions, type TaskCall } from './client.js';
import type { ResolvedConfig } from './config/resolve-config.js';
import type { ScheduleDefinition } from './config/schedule-definition.js';
import { InvalidOptionError } from './errors.js';
import type { ErrorFactory } from './exception-table.js';
import {
  type PeriodicTask,
  type PeriodicTaskSpec,
  periodicTaskId,
  toPeriodicTask,
  toScheduleDefinition,
} from './periodic.js';
import { type AnyTask, TaskRegistry } from './registry.js';
import type { AsyncResult } from './result.js';
import { createRuntime, type Runtime } from './runtime.js';
import { Task, type TaskFunction } from './task.js';
import { type TaskOptions, validateTaskOptions } from './task-options.js';
import type { Transport } from './transport.js';

export type { TaskCall } from './client.js';

/** A Celery app on a transport. */
export class App {
  /** Tasks, periodic entries and errors. */
  readonly registry: TaskRegistry;
  /** Ports, settings and identity, as hosts are given them. */
  readonly runtime: Runtime;
  /** Sends tasks and reads results. */
  readonly client: Client;

  constructor(config: ResolvedConfig, transport: Transport, options: { origin?: string } = {}) {
    this.registry = new TaskRegistry();
    this.runtime = createRuntime(config, transport, options);
    this.client = new Client(this.registry, this.runtime);
  }

  /** The app's resolved settings. */
  get config(): ResolvedConfig {
    return this.runtime.settings;
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
      throw InvalidOptionError.expected('name', 'a non-empty task name', name);
    }
    validateTaskOptions(name, options);
    const task = new Task<A, R>(name, fn, options, this.client);
    this.registry.add(task as unknown as AnyTask);
    return task;
  }

  /** The registered task called `name`, if any. */
  getTask(name: string): AnyTask | undefined {
    return this.registry.get(name);
  }

  /** Names of every registered task. */
  get taskNames(): string[] {
    return this.registry.taskNames;
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
    const entry = toPeriodicTask(name, spec as PeriodicTaskSpec);
    // The send conversion each firing will run, run now: a bad option is refused where the entry is declared,
    // not when the schedules are built or deployed.
    try {
      this.client.request({
        name: entry.taskName,
        args: entry.args,
        kwargs: entry.kwargs,
        options: { ...entry.options, taskId: periodicTaskId(name, '2000-01-01T00:00:00Z') },
      });
    } catch (error) {
      if (!(error instanceof InvalidOptionError)) throw error;
      throw new InvalidOptionError(`Periodic task ${name}: ${error.message}`, {
        option: error.option,
        value: error.value,
        cause: error,
      });
    }
    this.registry.addPeriodic(entry);
    return entry;
  }

  /** Every registered periodic task. */
  get periodicTasks(): PeriodicTask[] {
    return this.registry.periodicTasks;
  }

  /**
   * The periodic tasks as the CDK construct deploys them (disabled ones included, marked disabled).
   *
   * @throws {UnsupportedScheduleError} for a schedule EventBridge Scheduler cannot fire exactly.
   */
  scheduleDefinitions(): ScheduleDefinition[] {
    const sender = { request: this.client.request.bind(this.client), appName: this.config.name };
    return this.periodicTasks.map((entry) => toScheduleDefinition(entry, sender));
  }

  /** Registers how to rebuild a remote exception type when a result holds it (see {@link ErrorTable}). */
  registerError(excType: string, factory: ErrorFactory): this {
    this.registry.errors.register(excType, factory);
    return this;
  }

  /** The result handle for a task id. */
  asyncResult<R = unknown>(taskId: string): AsyncResult<R> {
    return this.client.asyncResult<R>(taskId);
  }

  /**
   * Sends a task by name, for tasks defined elsewhere (in Python, say). Celery's `send_task`.
   *
   * @example
   * const result = await app.sendTask<number>('tasks.add', [2, 3]);
   */
  sendTask<R = unknown>(
    name: string,
    args: readonly unknown[] = [],
    kwargs: Readonly<Record<string, unknown>> = {},
    options: ApplyOptions = {},
  ): Promise<AsyncResult<R>> {
    return this.client.sendTask<R>(name, args, kwargs, options);
  }

  /** Sends many tasks at once, batching messages per queue (`SendMessageBatch`). */
  sendTasks<R = unknown>(calls: readonly TaskCall[]): Promise<AsyncResult<R>[]> {
    return this.client.sendTasks<R>(calls);
  }

  /**
   * Revokes a task: stores REVOKED so no worker will run it. A running task finishes, unless `terminate` is set:
   * its worker then stops it at its next heartbeat. SQS has no broadcast channel, so revocation is a record
   * workers check when they claim a task and renew its lease, not a message.
   */
  revoke(taskId: string, options: RevokeOptions = {}): Promise<void> {
    return this.client.revoke(taskId, options);
  }
}
