/**
 * What a task id may be, on the way out and on the way in. The id is a DynamoDB key in Celery's
 * `b'celery-task-meta-<id>'` form, and Python writes a quote or a backslash in it escaped, so an id holding one
 * would be stored under a key no Celery peer reads. DynamoDB refuses a key over 2,048 bytes, and one such key
 * refuses the whole BatchWriteItem it shares with other tasks' outcomes; 200 characters is far inside that.
 */

/** The rule {@link isTaskId} checks, as an error message states it. */
export const TASK_ID_RULE =
  "printable ASCII of 1-200 characters without quotes or backslashes (Celery's DynamoDB keys quote it)";

const PRINTABLE = /^[\x21-\x7e]{1,200}$/;
const QUOTED = /['"\\]/;

/**
 * Whether `value` is a task id celeriac can store: {@link TASK_ID_RULE}. Group, root and parent ids follow it too.
 *
 * @example
 * isTaskId('d9b1c9a0-6e8c-4c55-9f53-7d0f1c2f4e11'); // true
 * isTaskId("it's"); // false
 */
export function isTaskId(value: unknown): value is string {
  return typeof value === 'string' && PRINTABLE.test(value) && !QUOTED.test(value);
}
