/**
 * What a host has processed since it started, for its registry record: messages by final state, and tasks by
 * name (Celery's `stats` `total`, as its `state.total_count` keeps it).
 */

import { TASK_OUTCOME_STATES } from '../protocol/states.js';
import type { TaskRegistry } from '../registry.js';
import type { MessageOutcome } from './message-outcome.js';

/** Counts of one host's outcomes. */
export class ProcessedCounts {
  readonly #byState: Record<string, number> = {};
  readonly #byTask: Record<string, number> = {};
  readonly #registry: Pick<TaskRegistry, 'get'>;

  constructor(registry: Pick<TaskRegistry, 'get'>) {
    this.#registry = registry;
  }

  /**
   * Counts one outcome. A task name is counted only when this host has the task, so a sender cannot grow the
   * record with made-up names.
   */
  add(outcome: Pick<MessageOutcome, 'state' | 'taskName'>): void {
    this.#byState[outcome.state] = (this.#byState[outcome.state] ?? 0) + 1;
    const name = outcome.taskName;
    if (
      name !== undefined &&
      TASK_OUTCOME_STATES.has(outcome.state) &&
      this.#registry.get(name) !== undefined
    ) {
      this.#byTask[name] = (this.#byTask[name] ?? 0) + 1;
    }
  }

  /** Messages by final state, kept up to date. */
  get byState(): Readonly<Record<string, number>> {
    return this.#byState;
  }

  /** Tasks by name, kept up to date. */
  get byTask(): Readonly<Record<string, number>> {
    return this.#byTask;
  }
}
