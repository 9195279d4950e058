import { describe, expect, it } from 'vitest';
import { parseQueuesOption } from '../../../src/cli/queues-option.js';
import { UsageError } from '../../../src/cli/usage-error.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { weightedQueues } from '../../../src/worker/queue-weights.js';

describe('weightedQueues', () => {
  it('gives each queue without a weight its position’s, n for the first of n down to 1', () => {
    expect(weightedQueues(['high', 'default'], 'celery')).toEqual([
      { name: 'high', weight: 2 },
      { name: 'default', weight: 1 },
    ]);
    expect(weightedQueues(['a', { name: 'b', weight: 7 }, 'c'], 'celery').map((q) => q.weight)).toEqual([
      3, 7, 1,
    ]);
  });

  it("consumes the app's default queue alone when no queue is given", () => {
    expect(weightedQueues(undefined, 'celery')).toEqual([{ name: 'celery', weight: 1 }]);
    expect(weightedQueues([], 'jobs')).toEqual([{ name: 'jobs', weight: 1 }]);
  });

  it.each([0, -1, 1.5, 1001, Number.NaN])('refuses the weight %s, naming the accepted range', (weight) => {
    expect(() => weightedQueues([{ name: 'high', weight }], 'celery')).toThrow(InvalidOptionError);
    expect(() => weightedQueues([{ name: 'high', weight }], 'celery')).toThrow(
      /Expected `queues\[0\]\.weight` to be a whole number from 1 to 1000/,
    );
  });

  it('refuses a queue listed twice and an empty name', () => {
    expect(() => weightedQueues(['a', { name: 'a', weight: 2 }], 'celery')).toThrow(
      'Expected `queues[1]` to be a queue not listed before, got "a"',
    );
    expect(() => weightedQueues([''], 'celery')).toThrow(InvalidOptionError);
  });
});

describe('-Q name:weight', () => {
  it('reads names and weights, leaving unweighted queues to their position', () => {
    expect(parseQueuesOption('high:4, default:1')).toEqual([
      { name: 'high', weight: 4 },
      { name: 'default', weight: 1 },
    ]);
    expect(parseQueuesOption('high,default,')).toEqual(['high', 'default']);
    expect(parseQueuesOption('orders.fifo:3,celery')).toEqual([{ name: 'orders.fifo', weight: 3 }, 'celery']);
  });

  it.each(['high:0', 'high:x', 'high:1.5', 'high:', ':3', 'high:1001'])(
    'refuses %s with the accepted form',
    (text) => {
      expect(() => parseQueuesOption(text)).toThrow(UsageError);
      expect(() => parseQueuesOption(text)).toThrow(/<name>:<weight> with a whole weight from 1 to 1000/);
    },
  );

  it('refuses a queue listed twice', () => {
    expect(() => parseQueuesOption('high:2,high')).toThrow('--queues lists "high" twice');
  });
});
