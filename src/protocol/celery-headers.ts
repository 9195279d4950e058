/** The header names of Celery's protocol v2, as Celery 5.6 writes them (`celery/app/amqp.py` `as_task_v2`). */

/** Celery's own task headers, in the order it writes them. */
export const CELERY_HEADER_ORDER = [
  'lang',
  'task',
  'id',
  'shadow',
  'eta',
  'expires',
  'group',
  'group_index',
  'retries',
  'timelimit',
  'root_id',
  'parent_id',
  'argsrepr',
  'kwargsrepr',
  'origin',
  'ignore_result',
  'replaced_task_nesting',
  'stamped_headers',
  'stamps',
] as const;

/**
 * Headers that are Celery's rather than a caller's: its task headers, plus those kombu and the transport add
 * (`compression`, and `meth` from the old remote-control format). Anything else is a custom header.
 */
export const CELERY_HEADER_NAMES: ReadonlySet<string> = new Set([
  ...CELERY_HEADER_ORDER,
  'compression',
  'meth',
]);
