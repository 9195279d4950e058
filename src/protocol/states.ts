/**
 * Celery task states (`celery/states.py`). Custom states (`updateState({ state: 'PROGRESS' })`) are plain
 * strings outside this set.
 */
export const TaskState = {
  /** Unknown id, or not run yet. Never stored by Celery. */
  PENDING: 'PENDING',
  /** Received by a worker (events only). */
  RECEIVED: 'RECEIVED',
  /** Started; stored only with `trackStarted`. */
  STARTED: 'STARTED',
  /** Finished and returned a value. */
  SUCCESS: 'SUCCESS',
  /** Raised an exception (or hit a hard time limit, or was not registered). */
  FAILURE: 'FAILURE',
  /** Revoked or expired before it ran. */
  REVOKED: 'REVOKED',
  /** Rejected (events only). */
  REJECTED: 'REJECTED',
  /** Waiting to be retried. */
  RETRY: 'RETRY',
  /** Ignored (nothing stored). */
  IGNORED: 'IGNORED',
} as const;

/** A Celery state name. */
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

/** States after which a task will not change again: SUCCESS, FAILURE, REVOKED. */
export const READY_STATES: ReadonlySet<string> = new Set([
  TaskState.SUCCESS,
  TaskState.FAILURE,
  TaskState.REVOKED,
]);

/**
 * The states a delivery of a task ends in when the task ran or was refused for good: SUCCESS, FAILURE, RETRY,
 * REVOKED, IGNORED, REJECTED. What counts as one task in the metrics and in a worker's counts by task name (a
 * duplicate delivery, a delay or a hand-back does not).
 */
export const TASK_OUTCOME_STATES: ReadonlySet<string> = new Set([
  TaskState.SUCCESS,
  TaskState.FAILURE,
  TaskState.RETRY,
  TaskState.REVOKED,
  TaskState.IGNORED,
  TaskState.REJECTED,
]);

/** States whose result is an exception: RETRY, FAILURE, REVOKED. */
export const EXCEPTION_STATES: ReadonlySet<string> = new Set([
  TaskState.RETRY,
  TaskState.FAILURE,
  TaskState.REVOKED,
]);

/** States that make `get()` throw: FAILURE, REVOKED. */
export const PROPAGATE_STATES: ReadonlySet<string> = new Set([TaskState.FAILURE, TaskState.REVOKED]);
