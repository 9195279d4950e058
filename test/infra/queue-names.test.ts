import { describe, expect, it } from 'vitest';
import { canonicalQueueName, invalidSqsQueueName } from '../../src/protocol/queue-name.js';

// The constructs validate queue names with the same pure functions the client routes with.
const kombuQueueName = (name: string): string => canonicalQueueName(name);
const isValidSqsQueueName = (name: string): boolean => invalidSqsQueueName(name) === undefined;

describe('kombuQueueName', () => {
  // Examples from kombu's Channel.entity_name (kombu/transport/SQS.py).
  it.each([
    ['celery', 'celery'],
    ['my.queue:v2', 'my-queue_v2'],
    ['jobs.fifo', 'jobs.fifo'],
    ['dev.celery', 'dev-celery'],
    ['a.b.fifo', 'a-b.fifo'],
    ['x@y/z-w_v', 'x_y_z-w_v'],
  ])('maps %s to %s', (celeryName, sqsName) => {
    expect(kombuQueueName(celeryName)).toBe(sqsName);
  });

  it('leaves characters that are not ASCII punctuation alone, as kombu does', () => {
    expect(kombuQueueName('my queue')).toBe('my queue');
    expect(kombuQueueName('tâches')).toBe('tâches');
  });
});

describe('isValidSqsQueueName', () => {
  it('accepts letters, digits, - and _ up to 80 characters, with .fifo counted', () => {
    expect(isValidSqsQueueName('q'.repeat(80))).toBe(true);
    expect(isValidSqsQueueName('q'.repeat(81))).toBe(false);
    expect(isValidSqsQueueName(`${'q'.repeat(75)}.fifo`)).toBe(true);
    expect(isValidSqsQueueName(`${'q'.repeat(76)}.fifo`)).toBe(false);
    expect(isValidSqsQueueName('my-queue_v2')).toBe(true);
    expect(isValidSqsQueueName('my.queue')).toBe(false);
    expect(isValidSqsQueueName('.fifo')).toBe(false);
    expect(isValidSqsQueueName('')).toBe(false);
  });
});
