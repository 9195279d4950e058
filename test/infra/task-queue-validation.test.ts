import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { ResultStore, TaskQueue, type TaskQueueProps } from '../../infra/index.js';
import { ENV } from '../../src/config/env.js';
import { WORKER_ENTRY } from './helpers.js';

type Options = Omit<TaskQueueProps, 'resultStore' | 'worker'> & {
  worker?: Partial<TaskQueueProps['worker']>;
};

/** Builds `Demo/Default`, a TaskQueue with `options`, without bundling. */
function build(options: Options): () => TaskQueue {
  return () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Demo');
    const resultStore = new ResultStore(stack, 'Results');
    return new TaskQueue(stack, 'Default', {
      ...options,
      resultStore,
      worker: { entry: WORKER_ENTRY, ...options.worker },
    });
  };
}

describe('TaskQueue validation', () => {
  it('explains a visibility timeout under 6 × the worker timeout, naming both values', () => {
    expect(
      build({ worker: { timeout: Duration.seconds(30) }, visibilityTimeout: Duration.seconds(60) }),
    ).toThrow(
      'TaskQueue Demo/Default: `visibilityTimeout` (60 s) must be at least 6 × the worker `timeout` (30 s) = ' +
        '180 s, or SQS may redeliver a message while the Lambda is still running it.',
    );
  });

  it('counts the batching window into the visibility timeout it requires', () => {
    expect(
      build({
        worker: { timeout: Duration.seconds(30) },
        maxBatchingWindow: Duration.seconds(10),
        visibilityTimeout: Duration.seconds(185),
      }),
    ).toThrow(/\(30 s\) \+ `maxBatchingWindow` \(10 s\) = 190 s/);
    expect(
      build({
        worker: { timeout: Duration.seconds(30) },
        maxBatchingWindow: Duration.seconds(10),
        visibilityTimeout: Duration.seconds(190),
      }),
    ).not.toThrow();
  });

  it('refuses a visibility timeout over 12 hours', () => {
    expect(build({ visibilityTimeout: Duration.hours(13) })).toThrow(
      /`visibilityTimeout` \(46800 s = 13 hours\) must be at most 43200 s = 12 hours/,
    );
  });

  it.each([
    ['a space', 'my queue', '"my queue"'],
    ['a non-ASCII letter', 'tâches', '"tâches"'],
    ['nothing before .fifo', '.fifo', '".fifo"'],
    ['no characters', '', '""'],
    ['81 characters', 'q'.repeat(81), `"${'q'.repeat(81)}"`],
    ['76 characters before .fifo', `${'q'.repeat(76)}.fifo`, `"${'q'.repeat(76)}.fifo"`],
  ])('refuses a Celery queue name with %s', (_, celeryQueueName, shown) => {
    expect(build({ celeryQueueName })).toThrow(
      `TaskQueue Demo/Default: \`celeryQueueName\` (${shown}) maps to the SQS name`,
    );
  });

  it('accepts Celery names kombu maps to valid SQS names, such as my.queue:v2 and jobs.fifo', () => {
    expect(build({ celeryQueueName: 'my.queue:v2' })().celeryQueueName).toBe('my.queue:v2');
    expect(build({ celeryQueueName: 'jobs.fifo' })().fifo).toBe(true);
  });

  it('refuses a physical queue name whose FIFO suffix disagrees with the Celery name, or SQS would refuse', () => {
    expect(build({ celeryQueueName: 'jobs.fifo', queueName: 'jobs' })).toThrow(
      /`queueName` \("jobs"\) must be a valid SQS queue name .* that ends in `\.fifo`/,
    );
    expect(build({ queueName: 'jobs.fifo' })).toThrow(/that does not end in `\.fifo`/);
    expect(build({ queueName: 'my.jobs' })).toThrow(
      /`queueName` \("my\.jobs"\) must be a valid SQS queue name/,
    );
  });

  it('refuses a queue name too long to leave room for the dead-letter queue suffix', () => {
    expect(build({ queueName: 'q'.repeat(78) })).toThrow(/too long for its dead-letter queue name/);
  });

  it('refuses a worker runtime that is not Node.js 22 or later', () => {
    expect(build({ worker: { runtime: lambda.Runtime.PYTHON_3_13 } })).toThrow(
      /`worker\.runtime` \(python3\.13\) must be a Node\.js runtime of major version 22 or later/,
    );
    expect(build({ worker: { runtime: lambda.Runtime.NODEJS_20_X } })).toThrow(
      /`worker\.runtime` \(nodejs20\.x\)/,
    );
    expect(build({ worker: { runtime: lambda.Runtime.NODEJS_22_X } })).not.toThrow();
    expect(build({ worker: { runtime: lambda.Runtime.NODEJS_24_X } })).not.toThrow();
  });

  it('refuses a worker timeout over 15 minutes or under a second', () => {
    expect(build({ worker: { timeout: Duration.minutes(16) } })).toThrow(
      /`worker\.timeout` \(960 s = 16 minutes\) must be from 1 s to 900 s = 15 minutes: Lambda runs a function/,
    );
    expect(build({ worker: { timeout: Duration.millis(500) } })).toThrow(/`worker\.timeout` \(0\.5 s\)/);
  });

  it('refuses a memory size Lambda does not accept', () => {
    expect(build({ worker: { memorySize: 64 } })).toThrow(
      /`worker\.memorySize` \(64\) must be a whole number from 128 to 10240/,
    );
    expect(build({ worker: { memorySize: 1000.5 } })).toThrow(/`worker\.memorySize` \(1000\.5\)/);
  });

  it('refuses zero reserved concurrency, which would dead-letter every message', () => {
    expect(build({ worker: { reservedConcurrentExecutions: 0 } })).toThrow(
      /`worker\.reservedConcurrentExecutions` \(0\) must be a whole number of at least 1: 0 would throttle every invocation, and every message would reach the dead-letter queue/,
    );
  });

  it('refuses worker environment variables that celeriac manages', () => {
    expect(build({ worker: { environment: { [ENV.QUEUE_URLS]: '{}' } } })).toThrow(
      `\`worker.environment\` (${ENV.QUEUE_URLS}) is set by celeriac`,
    );
    expect(build({ worker: { environment: { [ENV.RESULT_TABLE]: 'results' } } })).toThrow(
      `(${ENV.RESULT_TABLE}) is set by celeriac`,
    );
    // Each of these a prop or grant sets (and would silently replace), or needs a grant the value names.
    for (const name of [ENV.TASK_INDEX, ENV.SCHEDULE_GROUP, ENV.SCHEDULER_ROLE_ARNS, ENV.EVENT_BUS]) {
      expect(build({ worker: { environment: { [name]: 'x' } } })).toThrow(`(${name}) is set by celeriac`);
    }
  });

  it.each([0, 2.5, 1001])('refuses maxReceiveCount %s', (maxReceiveCount) => {
    expect(build({ maxReceiveCount })).toThrow(
      `\`maxReceiveCount\` (${maxReceiveCount}) must be a whole number from 1 to 1000`,
    );
  });

  it('refuses retention periods SQS does not allow', () => {
    expect(build({ retentionPeriod: Duration.seconds(30) })).toThrow(
      /`retentionPeriod` \(30 s\) must be from 60 s to 1209600 s = 14 days/,
    );
    expect(build({ deadLetterRetentionPeriod: Duration.days(15) })).toThrow(
      /`deadLetterRetentionPeriod` \(1296000 s/,
    );
  });

  it('refuses a standard dead-letter queue that keeps messages no longer than the queue', () => {
    expect(build({ retentionPeriod: Duration.days(7), deadLetterRetentionPeriod: Duration.days(7) })).toThrow(
      /`deadLetterRetentionPeriod` \(604800 s = 7 days\) must be longer than `retentionPeriod` \(604800 s = 7 days\)/,
    );
  });

  it('lets a FIFO dead-letter queue keep messages as long as the queue (FIFO resets the enqueue time)', () => {
    expect(
      build({
        celeryQueueName: 'jobs.fifo',
        retentionPeriod: Duration.days(7),
        deadLetterRetentionPeriod: Duration.days(7),
      }),
    ).not.toThrow();
  });

  it('refuses batch sizes Lambda does not accept for the queue type', () => {
    expect(build({ batchSize: 0 })).toThrow(/`batchSize` \(0\) must be a whole number from 1 to 10000/);
    expect(build({ batchSize: 10_001, maxBatchingWindow: Duration.seconds(1) })).toThrow(
      /`batchSize` \(10001\)/,
    );
    expect(build({ celeryQueueName: 'jobs.fifo', batchSize: 11 })).toThrow(
      /`batchSize` \(11\) must be a whole number from 1 to 10: Lambda reads at most 10 messages per batch from a FIFO/,
    );
  });

  it('requires a batching window of at least a second for batches over 10', () => {
    expect(build({ batchSize: 11 })).toThrow(
      /`batchSize` \(11\) is over 10, .* `maxBatchingWindow` of at least 1 second/,
    );
    expect(build({ batchSize: 11, maxBatchingWindow: Duration.seconds(0) })).toThrow(
      /`batchSize` \(11\) is over 10/,
    );
    expect(build({ batchSize: 11, maxBatchingWindow: Duration.seconds(1) })).not.toThrow();
  });

  it('refuses a batching window on a FIFO queue, over 5 minutes, or in fractions of a second', () => {
    expect(build({ celeryQueueName: 'jobs.fifo', maxBatchingWindow: Duration.seconds(1) })).toThrow(
      /`maxBatchingWindow` \(1 s\) cannot be set on a FIFO queue/,
    );
    expect(build({ maxBatchingWindow: Duration.seconds(301) })).toThrow(
      /`maxBatchingWindow` \(301 s = 5 minutes 1 second\) must be from 0 s to 300 s = 5 minutes/,
    );
    expect(build({ maxBatchingWindow: Duration.millis(1500) })).toThrow(/must be a whole number of seconds/);
  });

  it.each([1, 1001, 2.5])('refuses maxConcurrency %s', (maxConcurrency) => {
    expect(build({ maxConcurrency })).toThrow(
      `\`maxConcurrency\` (${maxConcurrency}) must be a whole number from 2 to 1000`,
    );
  });

  it('refuses a maxConcurrency above the reserved concurrency', () => {
    expect(build({ maxConcurrency: 10, worker: { reservedConcurrentExecutions: 5 } })).toThrow(
      /`maxConcurrency` \(10\) must not exceed `worker\.reservedConcurrentExecutions` \(5\)/,
    );
  });

  it('refuses a dead-letter alarm threshold under 1', () => {
    expect(build({ deadLetterAlarm: { threshold: 0 } })).toThrow(
      /`deadLetterAlarm\.threshold` \(0\) must be a whole number of at least 1/,
    );
    expect(build({ deadLetterAlarm: { threshold: 1.5 } })).toThrow(/`deadLetterAlarm\.threshold` \(1\.5\)/);
  });
});
