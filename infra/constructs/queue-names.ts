/**
 * How kombu's SQS transport turns a Celery queue name into an SQS queue name, and what SQS accepts.
 *
 * kombu (`Channel.entity_name`) keeps letters, digits, `-` and `_`, turns `.` into `-`, turns every other ASCII
 * punctuation character into `_`, and keeps a trailing `.fifo`. A Python Celery app configured with
 * `predefined_queues` looks queues up by that name, so a Celery queue name whose mapped form SQS would refuse
 * cannot be shared with Python.
 */

/** Python's `string.punctuation`. */
const ASCII_PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** Suffix that makes a Celery queue, and its SQS queue, FIFO. */
export const FIFO_SUFFIX = '.fifo';

/** SQS: "up to 80 characters: alphanumeric characters, hyphens (-), and underscores (_)", plus `.fifo`. */
const SQS_QUEUE_NAME = /^[A-Za-z0-9_-]{1,75}(\.fifo)?$|^[A-Za-z0-9_-]{1,80}$/;

/** The SQS queue name kombu derives from a Celery queue name (with no `queue_name_prefix`). */
export function kombuQueueName(celeryQueueName: string): string {
  const fifo = celeryQueueName.endsWith(FIFO_SUFFIX);
  const base = fifo ? celeryQueueName.slice(0, -FIFO_SUFFIX.length) : celeryQueueName;
  let mapped = '';
  for (const char of base) {
    if (char === '.') mapped += '-';
    else if (char === '-' || char === '_') mapped += char;
    else if (ASCII_PUNCTUATION.has(char)) mapped += '_';
    else mapped += char;
  }
  return fifo ? `${mapped}${FIFO_SUFFIX}` : mapped;
}

/** True when SQS accepts `name` as a queue name (FIFO names end in `.fifo`). */
export function isValidSqsQueueName(name: string): boolean {
  return SQS_QUEUE_NAME.test(name);
}
