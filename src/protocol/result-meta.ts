/**
 * The result meta that Celery's key-value result backends store (`celery/backends/base.py`
 * `Backend._get_result_meta`, `BaseKeyValueStoreBackend._store_result`), with Celery's key order:
 * `status, result, traceback, children, date_done, [group_id], [parent_id], [extended fields], task_id`.
 */
import { DecodeError } from './errors.js';
import { formatPythonDateTime } from './iso-time.js';
import { kombuJsonDumps, kombuJsonLoads } from './type-tags.js';

/** A stored result, in Celery's field names. */
export interface ResultMeta {
  /** State name: a {@link TaskState} or a custom state such as `PROGRESS`. */
  status: string;
  /** Return value, exception info (exception states), progress meta, or `{pid, hostname}` for STARTED. */
  result: unknown;
  /** Formatted traceback for FAILURE and RETRY, else null. */
  traceback: string | null;
  /** Results of tasks this task sent, as result tuples; `[]` from a worker, null from elsewhere. */
  children: unknown[] | null;
  /** ISO-8601 completion time for ready states, else null. */
  date_done: string | null;
  /** Group id, when the task belongs to a group. */
  group_id?: string;
  /** Id of the task that sent this one. */
  parent_id?: string;
  /** Task name (`result_extended`). */
  name?: string;
  /** Positional arguments (`result_extended`). */
  args?: unknown[];
  /** Keyword arguments (`result_extended`). */
  kwargs?: Record<string, unknown>;
  /** Worker node name (`result_extended`). */
  worker?: string;
  /** Retry count (`result_extended`). */
  retries?: number;
  /** Queue the task came from (`result_extended`). */
  queue?: string;
  /** The task id; always last. */
  task_id: string;
  [extra: string]: unknown;
}

/** The fields `result_extended` adds. */
export interface ExtendedResultFields {
  readonly name: string;
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown>;
  readonly worker: string;
  readonly retries: number;
  readonly queue: string;
}

/** What {@link buildResultMeta} needs. */
export interface ResultMetaInput {
  readonly taskId: string;
  readonly status: string;
  readonly result?: unknown;
  readonly traceback?: string | null;
  readonly children?: unknown[] | null;
  /** Completion time; set it for ready states (SUCCESS, FAILURE, REVOKED), leave it out otherwise. */
  readonly dateDone?: Date | null;
  readonly groupId?: string | null;
  readonly parentId?: string | null;
  readonly extended?: ExtendedResultFields;
}

/** Builds a result meta with Celery's key order. */
export function buildResultMeta(input: ResultMetaInput): ResultMeta {
  const fields: Record<string, unknown> = {
    status: input.status,
    result: input.result ?? null,
    traceback: input.traceback ?? null,
    children: input.children === undefined ? [] : input.children,
    date_done: input.dateDone ? formatPythonDateTime(input.dateDone) : null,
  };
  if (input.groupId) fields.group_id = input.groupId;
  if (input.parentId) fields.parent_id = input.parentId;
  if (input.extended) {
    const { name, args, kwargs, worker, retries, queue } = input.extended;
    Object.assign(fields, { name, args, kwargs, worker, retries, queue });
  }
  fields.task_id = input.taskId;
  return fields as ResultMeta;
}

/** The meta of a task nothing is stored for: PENDING, as Celery reports unknown ids. */
export function pendingResultMeta(taskId: string): ResultMeta {
  return {
    status: 'PENDING',
    result: null,
    traceback: null,
    children: null,
    date_done: null,
    task_id: taskId,
  };
}

/** Serializes a result meta as kombu JSON (what Celery writes into the DynamoDB `result` attribute). */
export function encodeResultMeta(meta: ResultMeta): string {
  return kombuJsonDumps(meta);
}

/** Options of {@link decodeResultMeta}. */
export interface DecodeResultMetaOptions {
  /**
   * Read values exactly (the app's `exactValues`): integers beyond 2^53 as `bigint`, integral floats as
   * `PythonFloat`, datetimes as `PythonDateTime`. Default false: numbers and `Date`s.
   */
  readonly exact?: boolean;
}

/**
 * Parses a stored result meta, decoding kombu type tags.
 *
 * @throws {DecodeError} when the text is not JSON or not a result meta (no `status`).
 */
export function decodeResultMeta(text: string, options: DecodeResultMetaOptions = {}): ResultMeta {
  const value = kombuJsonLoads(text, 'result meta', { exact: options.exact === true });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw DecodeError.at('result meta', `expected a JSON object, got ${text.slice(0, 60)}`);
  }
  const record = value as Record<string, unknown>;
  if (typeof record.status !== 'string') {
    throw DecodeError.at('result meta', `it has no \`status\` (keys: ${Object.keys(record).join(', ')})`);
  }
  return {
    ...record,
    status: record.status,
    result: record.result ?? null,
    traceback: typeof record.traceback === 'string' ? record.traceback : null,
    children: Array.isArray(record.children) ? record.children : null,
    date_done: typeof record.date_done === 'string' ? record.date_done : null,
    task_id: typeof record.task_id === 'string' ? record.task_id : '',
  } as ResultMeta;
}
