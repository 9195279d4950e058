import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { ResultStore, TaskQueue, type TaskQueueProps } from '../../infra/index.js';
import { ENV } from '../../src/config/env.js';
import { environmentOf, logicalIdOf, newStack, pairs, rendered, testGrant, WORKER_ENTRY } from './helpers.js';

type QueueOptions = Omit<TaskQueueProps, 'resultStore' | 'worker'> & {
  worker?: Partial<TaskQueueProps['worker']>;
};

function setup(options: QueueOptions = {}): { stack: Stack; tasks: TaskQueue; template: Template } {
  const stack = newStack();
  const tasks = new TaskQueue(stack, 'Tasks', {
    ...options,
    resultStore: new ResultStore(stack, 'Results'),
    worker: { entry: WORKER_ENTRY, ...options.worker },
  });
  return { stack, tasks, template: Template.fromStack(stack) };
}

/** Each event source mapping's queue (its logical id) → its maximum concurrency, or null for none. */
function mappingConcurrency(template: Template): Record<string, number | null> {
  const mappings = template.findResources('AWS::Lambda::EventSourceMapping');
  return Object.fromEntries(
    Object.values(mappings).map((m) => {
      const arn = m.Properties.EventSourceArn as { 'Fn::GetAtt': [string, string] };
      return [arn['Fn::GetAtt'][0], m.Properties.ScalingConfig?.MaximumConcurrency ?? null];
    }),
  );
}

const build = (options: QueueOptions) => () => setup(options);

describe('TaskQueue priorityQueues', () => {
  const { stack, tasks, template } = setup({
    priorityQueues: [{ celeryQueueName: 'high' }],
    worker: { reservedConcurrentExecutions: 30 },
  });
  const [high] = tasks.priorityQueues;
  if (!high) throw new Error('no priority queue');

  it('adds a queue and a dead-letter queue per priority queue, dead-lettering after the same receives', () => {
    expect(high.celeryQueueName).toBe('high');
    template.resourceCountIs('AWS::SQS::Queue', 4);
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 360,
      MessageRetentionPeriod: 4 * 86_400,
      RedrivePolicy: {
        deadLetterTargetArn: stack.resolve(high.deadLetterQueue.queueArn),
        maxReceiveCount: 5,
      },
    });
  });

  it('encrypts every queue and refuses plain HTTP on each, as on the main queue', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    for (const queue of Object.values(queues)) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    for (const queue of [high.queue, high.deadLetterQueue, tasks.queue, tasks.deadLetterQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [stack.resolve(queue.queueUrl)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('consumes each queue through its own mapping on the one worker, split 2:1 from the reservation', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    expect(mappingConcurrency(template)).toEqual({
      [logicalIdOf(high.queue)]: 20,
      [logicalIdOf(tasks.queue)]: 10,
    });
    template.allResourcesProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: stack.resolve(tasks.workerFunction.functionName),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
  });

  it('alarms on the priority queue’s dead-letter queue too', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp("Celery queue 'high' reached its dead-letter queue"),
    });
  });

  it('tells the worker where every queue is, its own queue staying the default', () => {
    const env = environmentOf(template, logicalIdOf(tasks.workerFunction));
    expect(JSON.parse(String(env[ENV.QUEUE_URLS]))).toEqual({
      celery: rendered(stack, tasks.queue.queueUrl),
      high: rendered(stack, high.queue.queueUrl),
    });
    expect(env[ENV.DEFAULT_QUEUE]).toBe('celery');
  });

  it('grants senders every queue of the TaskQueue, and nothing else', () => {
    const grantStack = newStack();
    const q = new TaskQueue(grantStack, 'Tasks', {
      resultStore: new ResultStore(grantStack, 'Results'),
      worker: { entry: WORKER_ENTRY },
      priorityQueues: [{ celeryQueueName: 'high' }, { celeryQueueName: 'urgent' }],
    });
    testGrant(
      grantStack,
      (fn) => q.grantSendTasks(fn),
      pairs(
        grantStack,
        ['sqs:SendMessage'],
        [q.queue.queueArn, ...q.priorityQueues.map((p) => p.queue.queueArn)],
      ),
    );
  });
});

describe('TaskQueue priorityQueues: the concurrency split', () => {
  it('splits the reservation by position, the first of n weighing n, each at least 2', () => {
    const { tasks, template } = setup({
      priorityQueues: [{ celeryQueueName: 'urgent' }, { celeryQueueName: 'high' }],
      worker: { reservedConcurrentExecutions: 12 },
    });
    const [urgent, high] = tasks.priorityQueues;
    if (!urgent || !high) throw new Error('missing priority queues');
    // Weights 3:2:1 of 12.
    expect(mappingConcurrency(template)).toEqual({
      [logicalIdOf(urgent.queue)]: 6,
      [logicalIdOf(high.queue)]: 4,
      [logicalIdOf(tasks.queue)]: 2,
    });
    expect(tasks.priorityQueues.map((p) => p.maxConcurrency)).toEqual([6, 4]);
  });

  it('keeps explicit values and splits the rest of the reservation among the others', () => {
    const { tasks, template } = setup({
      priorityQueues: [{ celeryQueueName: 'high' }],
      maxConcurrency: 5,
      worker: { reservedConcurrentExecutions: 25 },
    });
    expect(mappingConcurrency(template)).toEqual({
      [logicalIdOf(tasks.priorityQueues[0]?.queue ?? tasks.queue)]: 20,
      [logicalIdOf(tasks.queue)]: 5,
    });
  });

  it('gives a leftover from rounding down to the most urgent queue, never exceeding the reservation', () => {
    const { tasks, template } = setup({
      priorityQueues: [{ celeryQueueName: 'high' }],
      worker: { reservedConcurrentExecutions: 7 },
    });
    const split = mappingConcurrency(template);
    expect(split[logicalIdOf(tasks.priorityQueues[0]?.queue ?? tasks.queue)]).toBe(5);
    expect(split[logicalIdOf(tasks.queue)]).toBe(2);
  });

  it('leaves every mapping unlimited without a reservation, unless told', () => {
    const { tasks, template } = setup({
      priorityQueues: [{ celeryQueueName: 'high', maxConcurrency: 50 }],
    });
    expect(mappingConcurrency(template)).toEqual({
      [logicalIdOf(tasks.priorityQueues[0]?.queue ?? tasks.queue)]: 50,
      [logicalIdOf(tasks.queue)]: null,
    });
  });

  it('builds KMS-encrypted FIFO priority queues like a FIFO main queue', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const orders = new TaskQueue(stack, 'Orders', {
      celeryQueueName: 'orders.fifo',
      encryptionKey: key,
      resultStore: new ResultStore(stack, 'Results'),
      worker: { entry: WORKER_ENTRY },
      priorityQueues: [{ celeryQueueName: 'orders-high.fifo' }],
    });
    const template = Template.fromStack(stack);
    const high = orders.priorityQueues[0];
    if (!high) throw new Error('no priority queue');
    const queue = template.findResources('AWS::SQS::Queue')[logicalIdOf(high.queue)];
    expect(queue?.Properties).toMatchObject({
      FifoQueue: true,
      ContentBasedDeduplication: false,
      KmsMasterKeyId: stack.resolve(key.keyArn),
    });
    expect(String(queue?.Properties.QueueName)).toMatch(/\.fifo$/);
  });
});

describe('TaskQueue priorityQueues that cannot work', () => {
  it('refuses a Celery name another queue of the TaskQueue has, under kombu naming too', () => {
    expect(build({ priorityQueues: [{ celeryQueueName: 'celery' }] })).toThrow(
      /`priorityQueues\[0\]\.celeryQueueName` \("celery"\) maps to the SQS name "celery", which another queue/,
    );
    expect(build({ priorityQueues: [{ celeryQueueName: 'a.b' }, { celeryQueueName: 'a-b' }] })).toThrow(
      /`priorityQueues\[1\]\.celeryQueueName` \("a-b"\)/,
    );
  });

  it('refuses a priority queue of the other kind (FIFO or standard) than the main queue', () => {
    expect(build({ priorityQueues: [{ celeryQueueName: 'high.fifo' }] })).toThrow(
      /`priorityQueues\[0\]\.celeryQueueName` \("high\.fifo"\) must not end in `\.fifo`, like the main queue/,
    );
  });

  it('refuses a maxConcurrency Lambda does not accept', () => {
    expect(build({ priorityQueues: [{ celeryQueueName: 'high', maxConcurrency: 1 }] })).toThrow(
      /`priorityQueues\[0\]\.maxConcurrency` \(1\) must be a whole number from 2 to 1000/,
    );
  });

  it('refuses mappings that together would exceed the reservation', () => {
    expect(
      build({
        priorityQueues: [{ celeryQueueName: 'high', maxConcurrency: 8 }],
        maxConcurrency: 4,
        worker: { reservedConcurrentExecutions: 10 },
      }),
    ).toThrow(
      /`worker\.reservedConcurrentExecutions` \(10\) is too small for this TaskQueue's 2 event source mappings.*Raise it to at least 12/,
    );
    expect(
      build({ priorityQueues: [{ celeryQueueName: 'high' }], worker: { reservedConcurrentExecutions: 3 } }),
    ).toThrow(/Raise it to at least 4/);
  });
});
