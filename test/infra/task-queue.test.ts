import { Annotations, type App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations as AnnotationsAssert, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ResultStore, TaskQueue, type TaskQueueProps } from '../../infra/index.js';
import { ENV } from '../../src/config/env.js';
import {
  allowedPairs,
  callerFunction,
  environmentOf,
  logicalIdOf,
  newStack,
  pairs,
  rendered,
  testGrant,
  WORKER_ENTRY,
  WORKER_TABLE_ACTIONS,
} from './helpers.js';

type QueueOptions = Omit<TaskQueueProps, 'resultStore' | 'worker'> & {
  worker?: Partial<TaskQueueProps['worker']>;
};

function taskQueue(stack: Stack, id: string, results: ResultStore, options: QueueOptions = {}): TaskQueue {
  return new TaskQueue(stack, id, {
    ...options,
    resultStore: results,
    worker: { entry: WORKER_ENTRY, ...options.worker },
  });
}

function setup(options: QueueOptions = {}): {
  stack: Stack;
  results: ResultStore;
  tasks: TaskQueue;
  template: Template;
} {
  const stack = newStack();
  const results = new ResultStore(stack, 'Results');
  const tasks = taskQueue(stack, 'Tasks', results, options);
  return { stack, results, tasks, template: Template.fromStack(stack) };
}

/** The worker function's role and function logical ids. */
function workerIds(tasks: TaskQueue): { role: string; fn: string } {
  const role = tasks.workerFunction.role;
  if (role === undefined) throw new Error('the worker has no role');
  return { role: logicalIdOf(role), fn: logicalIdOf(tasks.workerFunction) };
}

describe('TaskQueue defaults', () => {
  const { stack, results, tasks, template } = setup();
  const queueArn = stack.resolve(tasks.queue.queueArn);

  it('serves the Celery queue "celery" on a standard queue', () => {
    expect(tasks.celeryQueueName).toBe('celery');
    expect(tasks.fifo).toBe(false);
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: Match.absent(),
      QueueName: Match.absent(),
    });
  });

  it('keeps messages 4 days, hides them for 6 × the 1-minute timeout, and dead-letters after 5 receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 4 * 86_400,
      VisibilityTimeout: 360,
      RedrivePolicy: {
        deadLetterTargetArn: stack.resolve(tasks.deadLetterQueue.queueArn),
        maxReceiveCount: 5,
      },
    });
  });

  it('keeps dead letters 14 days', () => {
    Template.fromStack(stack).hasResource('AWS::SQS::Queue', {
      Properties: { MessageRetentionPeriod: 14 * 86_400, RedrivePolicy: Match.absent() },
    });
    expect(logicalIdOf(tasks.deadLetterQueue)).toMatch(/^TasksDeadLetterQueue/);
  });

  it('encrypts both queues with SQS-managed keys', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.values(queues).map((q) => q.Properties.SqsManagedSseEnabled)).toEqual([true, true]);
  });

  it('refuses non-TLS requests on both queues', () => {
    for (const queue of [tasks.queue, tasks.deadLetterQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [stack.resolve(queue.queueUrl)],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Deny',
              Action: 'sqs:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Resource: stack.resolve(queue.queueArn),
            },
          ],
        },
      });
    }
  });

  it('runs the worker on nodejs24.x, arm64, 1 minute, 512 MiB, handler export `handler`', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 60,
      MemorySize: 512,
      Handler: 'index.handler',
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  it('logs to its own log group kept one month, through a role without managed policies', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^TasksWorkerLogs') } },
    });
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('consumes the queue in batches of 10, reporting batch item failures, with no window or concurrency cap', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: queueArn,
      FunctionName: { Ref: workerIds(tasks).fn },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumBatchingWindowInSeconds: Match.absent(),
      ScalingConfig: Match.absent(),
    });
  });

  it('tells the worker its queue, its default queue and the result store', () => {
    expect(environmentOf(template, workerIds(tasks).fn)).toEqual({
      [ENV.QUEUE_URLS]: JSON.stringify({ celery: rendered(stack, tasks.queue.queueUrl) }),
      [ENV.DEFAULT_QUEUE]: 'celery',
      [ENV.RESULT_TABLE]: rendered(stack, results.table.tableName),
      [ENV.PAYLOAD_BUCKET]: rendered(stack, results.payloadBucket.bucketName),
      [ENV.PAYLOAD_PREFIX]: 'celeriac/',
    });
  });

  it('gives the worker exactly: logs, consume and send on its queue, and the result-store writer rights', () => {
    const logGroupArn = Template.fromStack(stack).findResources('AWS::Logs::LogGroup');
    const [logGroupId] = Object.keys(logGroupArn);
    expect(allowedPairs(template, workerIds(tasks).role)).toEqual(
      [
        ...pairs(
          stack,
          ['logs:CreateLogStream', 'logs:PutLogEvents'],
          [{ 'Fn::GetAtt': [logGroupId, 'Arn'] }],
        ),
        ...pairs(
          stack,
          [
            'sqs:ReceiveMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:GetQueueUrl',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
            'sqs:SendMessage',
          ],
          [tasks.queue.queueArn],
        ),
        ...pairs(stack, WORKER_TABLE_ACTIONS, [results.table.tableArn]),
        ...pairs(
          stack,
          ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          [results.payloadBucket.arnForObjects('celeriac/*')],
        ),
      ].sort(),
    );
  });

  it('alarms when the dead-letter queue holds at least one visible message for one minute', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(tasks.deadLetterQueue.queueName) }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: Match.absent(),
    });
    expect(stack.resolve(tasks.deadLetterAlarm.alarmArn)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^TasksDeadLetterAlarm/), 'Arn'],
    });
  });

  it('does not warn about payload expiry: a standard message lives at most the 14-day payload expiry', () => {
    AnnotationsAssert.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('TaskQueue props', () => {
  it('applies every queue, mapping, alarm and worker prop it is given', () => {
    const stack = newStack();
    const results = new ResultStore(stack, 'Results');
    const key = new kms.Key(stack, 'Key');
    const topic = new sns.Topic(stack, 'Alerts');
    const logGroup = new logs.LogGroup(stack, 'Logs');
    const tasks = taskQueue(stack, 'Tasks', results, {
      celeryQueueName: 'reports',
      queueName: 'celeriac-reports',
      visibilityTimeout: Duration.minutes(15),
      maxReceiveCount: 3,
      retentionPeriod: Duration.days(2),
      deadLetterRetentionPeriod: Duration.days(7),
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(5),
      maxConcurrency: 20,
      encryptionKey: key,
      deadLetterAlarm: { threshold: 3, alarmActions: [new cloudwatchActions.SnsAction(topic)] },
      worker: {
        handler: 'run',
        timeout: Duration.seconds(90),
        memorySize: 1024,
        environment: { LOG_LEVEL: 'debug' },
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.X86_64,
        reservedConcurrentExecutions: 50,
        logGroup,
      },
    });
    const template = Template.fromStack(stack);
    const keyArn = stack.resolve(key.keyArn);
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'celeriac-reports',
      VisibilityTimeout: 900,
      MessageRetentionPeriod: 2 * 86_400,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
      KmsMasterKeyId: keyArn,
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'celeriac-reports-dlq',
      MessageRetentionPeriod: 7 * 86_400,
      KmsMasterKeyId: keyArn,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 20 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 3,
      AlarmActions: [stack.resolve(topic.topicArn)],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.run',
      Timeout: 90,
      MemorySize: 1024,
      Runtime: 'nodejs24.x',
      Architectures: ['x86_64'],
      ReservedConcurrentExecutions: 50,
      LoggingConfig: { LogGroup: stack.resolve(logGroup.logGroupName) },
    });
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    expect(environmentOf(template, workerIds(tasks).fn)).toMatchObject({
      LOG_LEVEL: 'debug',
      [ENV.QUEUE_URLS]: JSON.stringify({ reports: rendered(stack, tasks.queue.queueUrl) }),
      [ENV.DEFAULT_QUEUE]: 'reports',
    });
    const workerPairs = allowedPairs(template, workerIds(tasks).role);
    expect(workerPairs).toEqual(
      expect.arrayContaining(pairs(stack, ['kms:Decrypt', 'kms:GenerateDataKey'], [keyArn])),
    );
    expect(workerPairs).toEqual(
      expect.arrayContaining(
        pairs(stack, ['logs:CreateLogStream', 'logs:PutLogEvents'], [logGroup.logGroupArn]),
      ),
    );
  });

  it('defaults the visibility timeout to 6 × timeout + batching window', () => {
    const { template } = setup({
      worker: { timeout: Duration.seconds(30) },
      maxBatchingWindow: Duration.seconds(20),
    });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 200 });
  });

  it('caps the mapping concurrency at the reserved concurrency when only that is set', () => {
    setup({ worker: { reservedConcurrentExecutions: 8 } }).template.hasResourceProperties(
      'AWS::Lambda::EventSourceMapping',
      { ScalingConfig: { MaximumConcurrency: 8 } },
    );
    setup({ worker: { reservedConcurrentExecutions: 1 } }).template.hasResourceProperties(
      'AWS::Lambda::EventSourceMapping',
      { ScalingConfig: Match.absent() },
    );
  });

  it('enables source maps at run time only with bundling.sourceMap, and leaves a NODE_OPTIONS the environment sets', () => {
    const on = setup({ worker: { bundling: { sourceMap: true } } });
    expect(environmentOf(on.template, workerIds(on.tasks).fn).NODE_OPTIONS).toBe('--enable-source-maps');
    const own = setup({
      worker: { bundling: { sourceMap: true }, environment: { NODE_OPTIONS: '--max-old-space-size=400' } },
    });
    expect(environmentOf(own.template, workerIds(own.tasks).fn).NODE_OPTIONS).toBe(
      '--max-old-space-size=400',
    );
    const off = setup({});
    expect(environmentOf(off.template, workerIds(off.tasks).fn).NODE_OPTIONS).toBeUndefined();
  });

  it('keeps a default queue set in the worker environment', () => {
    const { template, tasks } = setup({ worker: { environment: { [ENV.DEFAULT_QUEUE]: 'other' } } });
    expect(environmentOf(template, workerIds(tasks).fn)[ENV.DEFAULT_QUEUE]).toBe('other');
  });
});

describe('TaskQueue FIFO', () => {
  const { stack, tasks, template } = setup({ celeryQueueName: 'orders.fifo' });

  it('makes the queue and its dead-letter queue FIFO, without content-based deduplication', () => {
    expect(tasks.fifo).toBe(true);
    const queues = Object.values(template.findResources('AWS::SQS::Queue'));
    expect(queues).toHaveLength(2);
    for (const queue of queues) {
      expect(queue.Properties).toMatchObject({ FifoQueue: true, ContentBasedDeduplication: false });
    }
  });

  /** The physical names the template gives a TaskQueue's queue and dead-letter queue. */
  function physicalNames(queue: TaskQueue): { queueName: string; dlqName: string } {
    const queues = Template.fromStack(Stack.of(queue)).findResources('AWS::SQS::Queue');
    return {
      queueName: String(queues[logicalIdOf(queue.queue)]?.Properties.QueueName),
      dlqName: String(queues[logicalIdOf(queue.deadLetterQueue)]?.Properties.QueueName),
    };
  }

  it('names unnamed FIFO queues after the stack and construct path, ending in .fifo', () => {
    const { queueName, dlqName } = physicalNames(tasks);
    expect(queueName).toMatch(/^Demo-Tasks-[A-Z0-9]{8}\.fifo$/);
    expect(dlqName).toBe(queueName.replace(/\.fifo$/, '-dlq.fifo'));
  });

  it('keeps generated FIFO names within 80 characters under a long stack name and path', () => {
    const app = newStack().node.root as App;
    const scope = new Construct(new Stack(app, 'S'.repeat(60)), 'Nested'.repeat(8));
    const queue = new TaskQueue(scope, 'Orders', {
      celeryQueueName: 'orders.fifo',
      resultStore: new ResultStore(scope, 'Results'),
      worker: { entry: WORKER_ENTRY },
    });
    const { queueName, dlqName } = physicalNames(queue);
    expect(queueName).toMatch(/^[A-Za-z0-9_-]+\.fifo$/);
    expect(dlqName).toMatch(/^[A-Za-z0-9_-]+-dlq\.fifo$/);
    expect(dlqName.length).toBeLessThanOrEqual(80);
  });

  it('maps the FIFO Celery name to the queue URL', () => {
    expect(environmentOf(template, workerIds(tasks).fn)).toMatchObject({
      [ENV.QUEUE_URLS]: JSON.stringify({ 'orders.fifo': rendered(stack, tasks.queue.queueUrl) }),
      [ENV.DEFAULT_QUEUE]: 'orders.fifo',
    });
  });

  it('names the FIFO dead-letter queue <name>-dlq.fifo', () => {
    const named = setup({ celeryQueueName: 'orders.fifo', queueName: 'orders.fifo' });
    named.template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'orders.fifo', FifoQueue: true });
    named.template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'orders-dlq.fifo',
      FifoQueue: true,
    });
  });

  it('drops the payload warning once acknowledged', () => {
    const acknowledged = newStack();
    const orders = taskQueue(acknowledged, 'Orders', new ResultStore(acknowledged, 'Results'), {
      celeryQueueName: 'orders.fifo',
    });
    Annotations.of(orders).acknowledgeWarning('@celeriac/infra:payloadExpiration', 'arguments stay small');
    AnnotationsAssert.fromStack(acknowledged).hasNoWarning('*', Match.anyValue());
  });

  it('warns that a reserved concurrency of 1 cannot cap the event source, and not for 2', () => {
    const one = setup({ worker: { reservedConcurrentExecutions: 1 } });
    AnnotationsAssert.fromStack(one.stack).hasWarning(
      '/Demo/Tasks',
      Match.stringLikeRegexp('reserved concurrency of 1 cannot cap the SQS event source.*Reserve at least 2'),
    );
    one.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: Match.absent() });
    const two = setup({ worker: { reservedConcurrentExecutions: 2 } });
    AnnotationsAssert.fromStack(two.stack).hasNoWarning('*', Match.stringLikeRegexp('reserved concurrency'));
    two.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('warns that a FIFO message (4 + 14 days) can outlive its 14-day payload', () => {
    AnnotationsAssert.fromStack(stack).hasWarning(
      '/Demo/Tasks',
      Match.stringLikeRegexp('1555200 s in this FIFO queue.*`payloadExpiration` \\(1209600 s'),
    );
  });
});

describe('TaskQueue grants', () => {
  it('grantSendTasks: sqs:SendMessage on the queue, and the queue in the function environment', () => {
    const stack = newStack();
    const tasks = taskQueue(stack, 'Tasks', new ResultStore(stack, 'Results'));
    testGrant(
      stack,
      (fn) => tasks.grantSendTasks(fn),
      pairs(stack, ['sqs:SendMessage'], [tasks.queue.queueArn]),
      {
        [ENV.QUEUE_URLS]: JSON.stringify({ celery: rendered(stack, tasks.queue.queueUrl) }),
        [ENV.DEFAULT_QUEUE]: 'celery',
      },
    );
  });

  it('grantSendTasks with a key: also kms:GenerateDataKey and kms:Decrypt on the key', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const tasks = taskQueue(stack, 'Tasks', new ResultStore(stack, 'Results'), { encryptionKey: key });
    testGrant(stack, (fn) => tasks.grantSendTasks(fn), [
      ...pairs(stack, ['sqs:SendMessage'], [tasks.queue.queueArn]),
      ...pairs(stack, ['kms:GenerateDataKey', 'kms:Decrypt'], [key.keyArn]),
    ]);
  });

  it('grantConsumeTasks: receive, delete, change visibility, get attributes and send on the queue', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const tasks = taskQueue(stack, 'Tasks', new ResultStore(stack, 'Results'), { encryptionKey: key });
    testGrant(
      stack,
      (fn) => tasks.grantConsumeTasks(fn),
      [
        ...pairs(
          stack,
          [
            'sqs:ReceiveMessage',
            'sqs:DeleteMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:GetQueueAttributes',
            'sqs:SendMessage',
          ],
          [tasks.queue.queueArn],
        ),
        ...pairs(stack, ['kms:Decrypt', 'kms:GenerateDataKey'], [key.keyArn]),
      ],
      {
        [ENV.QUEUE_URLS]: JSON.stringify({ celery: rendered(stack, tasks.queue.queueUrl) }),
        [ENV.DEFAULT_QUEUE]: 'celery',
      },
    );
  });

  it('merges every queue granted to one function into one queue-URL map; the first is the default', () => {
    const stack = newStack();
    const results = new ResultStore(stack, 'Results');
    const jobs = taskQueue(stack, 'Jobs', results, { celeryQueueName: 'jobs' });
    const orders = taskQueue(stack, 'Orders', results, { celeryQueueName: 'orders.fifo' });
    const caller = callerFunction(stack);
    orders.grantSendTasks(caller);
    jobs.grantSendTasks(caller);
    jobs.grantSendTasks(caller);
    const environment = environmentOf(Template.fromStack(stack), logicalIdOf(caller));
    expect(JSON.parse(String(environment[ENV.QUEUE_URLS]))).toEqual({
      jobs: rendered(stack, jobs.queue.queueUrl),
      'orders.fifo': rendered(stack, orders.queue.queueUrl),
    });
    expect(environment[ENV.DEFAULT_QUEUE]).toBe('orders.fifo');
  });

  it("adds another queue to a worker's own map when that queue is granted to the worker", () => {
    const stack = newStack();
    const results = new ResultStore(stack, 'Results');
    const jobs = taskQueue(stack, 'Jobs', results, { celeryQueueName: 'jobs' });
    const reports = taskQueue(stack, 'Reports', results, { celeryQueueName: 'reports' });
    reports.grantSendTasks(jobs.workerFunction);
    const environment = environmentOf(Template.fromStack(stack), workerIds(jobs).fn);
    expect(JSON.parse(String(environment[ENV.QUEUE_URLS]))).toEqual({
      jobs: rendered(stack, jobs.queue.queueUrl),
      reports: rendered(stack, reports.queue.queueUrl),
    });
    expect(environment[ENV.DEFAULT_QUEUE]).toBe('jobs');
  });

  it('refuses two different queues with the same Celery name on one function', () => {
    const stack = newStack();
    const results = new ResultStore(stack, 'Results');
    const first = taskQueue(stack, 'First', results);
    const second = taskQueue(stack, 'Second', results);
    const caller = callerFunction(stack);
    first.grantSendTasks(caller);
    expect(() => second.grantSendTasks(caller)).toThrow(
      'TaskQueue Demo/Second: `celeryQueueName` ("celery") is already the Celery name of Demo/First, which is ' +
        'granted to the function Demo/Caller',
    );
  });
});
