/** The task-index port: recent tasks by state, task name and time (docs/monitoring.md). */

/** One task as the index holds it. */
export interface TaskIndexEntry {
  readonly taskId: string;
  /** The task name, when the worker that claimed it recorded one. */
  readonly name: string | undefined;
  /** Its state when last written: PENDING while it runs without `trackStarted`, STARTED, SUCCESS, ... */
  readonly state: string;
  /** When the item was last written, epoch ms. */
  readonly updatedAtMs: number;
}

/** What to list; at least one of `state` and `name`. */
export interface TaskIndexQuery {
  readonly state?: string;
  readonly name?: string;
  /** Written at or after this time, epoch ms. Default: the last hour. */
  readonly sinceMs?: number;
  /** Written at or before this time, epoch ms. Default: now. */
  readonly untilMs?: number;
  /** Most entries, newest first. Default 100. */
  readonly limit?: number;
}

/** Lists indexed tasks. */
export interface TaskIndex {
  /** The newest matching tasks first. */
  query(query: TaskIndexQuery): Promise<TaskIndexEntry[]>;
}
