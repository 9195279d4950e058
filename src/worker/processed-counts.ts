/**
 * What a host has processed since it started, for its registry record: messages by final state, and tasks by
 * name (Celery's `stats` `total`, as its `state.total_count` keeps it).
 */
import type { TaskRegistry } from '../registry.js';
import { type MessageOutcome, MessageState } from './message-outcome.js';

/** The final states of a task that ran or was refused for good: what Celery counts under the task's name. */
const TASK_STATES: ReadonlySet<string> = new Set([
  MessageState.SUCCESS,
  MessageState.FAILURE,
  MessageState.RETRY,
  MessageState.REVOKED,
  MessageState.IGNORED,
  MessageState.REJECTED,
]);

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
    if (name !== undefined && TASK_STATES.has(outcome.state) && this.#registry.get(name) !== undefined) {
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
