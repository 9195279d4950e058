/**
 * kombu's SQS queue names (`Channel.entity_name`, `canonical_queue_name`): the prefix is prepended, `.` becomes
 * `-`, `-` and `_` stay, every other ASCII punctuation character becomes `_`, and a trailing `.fifo` is kept.
 */

const PUNCTUATION = /[!"#$%&'()*+,/:;<=>?@[\\\]^`{|}~]/g;

/** Suffix that makes a Celery queue, and its SQS queue, FIFO. */
export const FIFO_SUFFIX = '.fifo';

/**
 * The SQS queue name kombu uses for a Celery queue.
 *
 * @example
 * canonicalQueueName('my.queue:v2') // 'my-queue_v2'
 * canonicalQueueName('jobs.fifo', 'dev.') // 'dev-jobs.fifo'
 */
export function canonicalQueueName(name: string, prefix = ''): string {
  const full = prefix + name;
  const fifo = full.endsWith(FIFO_SUFFIX);
  const stem = fifo ? full.slice(0, -FIFO_SUFFIX.length) : full;
  const translated = stem.replace(/\./g, '-').replace(PUNCTUATION, '_');
  return fifo ? `${translated}${FIFO_SUFFIX}` : translated;
}

/** True for a queue name that ends in `.fifo`, i.e. an SQS FIFO queue. */
export function isFifoQueueName(name: string): boolean {
  return name.endsWith(FIFO_SUFFIX);
}

/** Why `name` is not a legal SQS queue name, or `undefined` when it is. */
export function invalidSqsQueueName(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > 80) return `it is ${name.length} characters long; SQS allows at most 80`;
  const stem = isFifoQueueName(name) ? name.slice(0, -FIFO_SUFFIX.length) : name;
  if (!/^[A-Za-z0-9_-]+$/.test(stem))
    return 'SQS allows only letters, digits, hyphens and underscores (plus a .fifo suffix)';
  return undefined;
}
