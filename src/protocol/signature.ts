/**
 * Celery's signature dict (`celery/canvas.py` `Signature`): how a task call travels inside another message, as a
 * link callback, an errback, a chain step or a chord body.
 */

/** Options a signature carries: `apply_async` options, plus ids fixed when a workflow is frozen. */
export interface SignatureOptions {
  /** Pre-assigned task id of the call. */
  task_id?: string;
  /** Reply queue id; meaningless on SQS, kept for Python. */
  reply_to?: string;
  /** Id of the workflow's first task. */
  root_id?: string;
  /** Id of the task that sent this one. */
  parent_id?: string;
  /** Group the call belongs to. */
  group_id?: string;
  /** Position in that group. */
  group_index?: number;
  /** Queue to send the call to. */
  queue?: string;
  [option: string]: unknown;
}

/** A serialized signature, keys in Celery's order. */
export interface SignatureDict {
  /** Registered task name, or `celery.chain`/`celery.group`/`celery.chord` for canvas types. */
  task: string;
  /** Positional arguments. */
  args: unknown[];
  /** Keyword arguments. */
  kwargs: Record<string, unknown>;
  /** `apply_async` options. */
  options: SignatureOptions;
  /** `null` for a task; `chain`, `group`, `chord`, `xmap`, `xstarmap` or `chunks` for canvas types. */
  subtask_type: string | null;
  /** `true` for `.si()` signatures: the parent's result is not prepended to `args`. */
  immutable: boolean;
  [key: string]: unknown;
}

/** True when `value` has the shape of a serialized signature. */
export function isSignatureDict(value: unknown): value is SignatureDict {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return typeof record.task === 'string';
}

/**
 * Builds a signature dict for `task` with Celery's key order.
 *
 * @example
 * signatureDict('tasks.add', [10]) // {task: 'tasks.add', args: [10], kwargs: {}, options: {}, subtask_type: null, immutable: false}
 */
export function signatureDict(
  task: string,
  args: unknown[] = [],
  kwargs: Record<string, unknown> = {},
  options: SignatureOptions = {},
  immutable = false,
): SignatureDict {
  return { task, args, kwargs, options, subtask_type: null, immutable };
}
