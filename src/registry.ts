/**
 * The task registry: what an app *has*. Its tasks, its periodic entries and the table of errors it rebuilds
 * from stored failures. Hosts (the Lambda handler, `celeriac worker`, `celeriac beat`) are given a registry and
 * a runtime; the registry holds no ports and sends nothing.
 */
import { ImproperlyConfigured } from './errors.js';
import { ErrorTable } from './exception-table.js';
import type { PeriodicTask } from './periodic.js';
import type { Task } from './task.js';

/** A task whatever its argument and result types, as the registry holds it. */
export type AnyTask = Task<never, unknown>;

/** Tasks, periodic entries and errors, by name. */
export class TaskRegistry {
  /** Errors this app rebuilds from stored failures (see {@link ErrorTable}). */
  readonly errors = new ErrorTable();
  readonly #tasks = new Map<string, AnyTask>();
  readonly #periodic = new Map<string, PeriodicTask>();

  /**
   * Adds a task.
   *
   * @throws {ImproperlyConfigured} when the name is taken.
   */
  add(task: AnyTask): void {
    if (this.#tasks.has(task.name)) {
      throw new ImproperlyConfigured(
        `A task named ${JSON.stringify(task.name)} is already registered in this app`,
        { setting: 'task' },
      );
    }
    this.#tasks.set(task.name, task);
  }

  /** The registered task called `name`, if any. */
  get(name: string): AnyTask | undefined {
    return this.#tasks.get(name);
  }

  /** Names of every registered task. */
  get taskNames(): string[] {
    return [...this.#tasks.keys()];
  }

  /**
   * Adds a periodic entry.
   *
   * @throws {ImproperlyConfigured} when the name is taken.
   */
  addPeriodic(entry: PeriodicTask): void {
    if (this.#periodic.has(entry.name)) {
      throw new ImproperlyConfigured(
        `A periodic task named ${JSON.stringify(entry.name)} is already registered in this app`,
        { setting: 'periodic' },
      );
    }
    this.#periodic.set(entry.name, entry);
  }

  /** Every periodic entry. */
  get periodicTasks(): PeriodicTask[] {
    return [...this.#periodic.values()];
  }
}
