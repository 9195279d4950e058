/**
 * TaskQueue's metrics and alarms: the task metrics read exactly what the Lambda worker writes as EMF, the queue
 * metrics delegate to SQS, the opt-in alarms render as documented, bad props are refused, cdk-nag stays clean.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { CeleriacConfigurationError, ResultStore, TaskQueue } from '../../infra/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import type { SqsRecord } from '../../src/lambda/sqs-event.js';
import { memoryApp } from '../helpers/memory-app.js';
import { logicalIdOf, newStack, WORKER_ENTRY } from './helpers.js';

function queueWith(options: { emfMetrics?: boolean } = {}) {
  const stack = newStack();
  const results = new ResultStore(stack, 'Results');
  const queue = new TaskQueue(stack, 'Tasks', {
    resultStore: results,
    worker: { entry: WORKER_ENTRY, events: { emfMetrics: options.emfMetrics ?? true } },
  });
  return { stack, queue };
}

/** The EMF documents the Lambda handler writes for one successful task taken from Celery queue `celery`. */
async function workerDocuments(): Promise<Record<string, unknown>[]> {
  const fx = memoryApp({ queueUrls: { celery: 'memory://celery' }, events: { emfMetrics: true } });
  fx.app.task('orders.charge', () => 'ok');
  await fx.app.sendTask('orders.charge', []);
  const records: SqsRecord[] = (await fx.receiveAll()).map((message) => ({
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) },
    messageAttributes: {},
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:celery',
  }));
  const lines: string[] = [];
  const handler = createSqsHandler(fx.app, { log: () => undefined, stdout: (line) => lines.push(line) });
  await handler({ Records: records }, { getRemainingTimeInMillis: () => 60_000 });
  return lines.map((line) => JSON.parse(line));
}

/** The CloudWatch metrics (namespace, name, dimensions) one EMF document defines. */
function metricsOf(document: Record<string, unknown>): string[] {
  const aws = document._aws as {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
  };
  return aws.CloudWatchMetrics.flatMap((directive) =>
    directive.Dimensions.flatMap((set) =>
      directive.Metrics.map((metric) =>
        JSON.stringify([
          directive.Namespace,
          metric.Name,
          Object.fromEntries(set.map((name) => [name, document[name]])),
        ]),
      ),
    ),
  );
}

const key = (metric: cloudwatch.Metric) =>
  JSON.stringify([metric.namespace, metric.metricName, metric.dimensions ?? {}]);

describe('TaskQueue metrics', () => {
  it('reads exactly the metrics the Lambda worker writes, for the queue and for one task name', async () => {
    const written = (await workerDocuments()).flatMap(metricsOf);
    const { queue } = queueWith();
    const read = [
      queue.metricTasks(),
      queue.metricFailures(),
      queue.metricRetries(),
      queue.metricDuration(),
      queue.metricQueueWait(),
      queue.metricTasks({ taskName: 'orders.charge' }),
      queue.metricFailures({ taskName: 'orders.charge' }),
      queue.metricRetries({ taskName: 'orders.charge' }),
      queue.metricDuration({ taskName: 'orders.charge' }),
      queue.metricQueueWait({ taskName: 'orders.charge' }),
    ].map(key);
    expect(read.sort()).toEqual([...written].sort());
  });

  it('sums counts and averages times over 5 minutes unless told otherwise', () => {
    const { queue } = queueWith();
    const defaults = [queue.metricTasks(), queue.metricFailures(), queue.metricRetries()];
    for (const metric of defaults)
      expect([metric.statistic, metric.period.toSeconds()]).toEqual(['Sum', 300]);
    for (const metric of [queue.metricDuration(), queue.metricQueueWait()]) {
      expect([metric.statistic, metric.period.toSeconds()]).toEqual(['Average', 300]);
    }
    const p99 = queue.metricDuration({ statistic: 'p99', period: Duration.minutes(1), label: 'p99 run' });
    expect([p99.statistic, p99.period.toSeconds(), p99.label]).toEqual(['p99', 60, 'p99 run']);
  });

  it('delegates the queue metrics to SQS, for the queue and its dead-letter queue', () => {
    const { stack, queue } = queueWith();
    const name = (q: unknown) => stack.resolve(q);
    const age = queue.metricApproximateAgeOfOldestMessage();
    const visible = queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) });
    const dead = queue.metricDeadLetterMessages();
    expect([age.namespace, age.metricName, age.statistic]).toEqual([
      'AWS/SQS',
      'ApproximateAgeOfOldestMessage',
      'Maximum',
    ]);
    expect(name(age.dimensions?.QueueName)).toEqual(name(queue.queue.queueName));
    expect([visible.metricName, visible.period.toSeconds()]).toEqual([
      'ApproximateNumberOfMessagesVisible',
      60,
    ]);
    expect(name(visible.dimensions?.QueueName)).toEqual(name(queue.queue.queueName));
    expect(dead.metricName).toBe('ApproximateNumberOfMessagesVisible');
    expect(name(dead.dimensions?.QueueName)).toEqual(name(queue.deadLetterQueue.queueName));
  });

  it('warns once when the worker writes no EMF metrics, and not when it does', () => {
    const off = queueWith({ emfMetrics: false });
    off.queue.metricTasks();
    off.queue.metricFailures();
    const warnings = Annotations.fromStack(off.stack).findWarning('*', Match.stringLikeRegexp('emfMetrics'));
    expect(warnings).toHaveLength(1);
    const on = queueWith();
    on.queue.metricTasks();
    Annotations.fromStack(on.stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('TaskQueue alarms', () => {
  it('adds a failure alarm on the queue: sum of Failures over 5 minutes ≥ 1, missing data not breaching', () => {
    const { stack, queue } = queueWith();
    const topic = new sns.Topic(stack, 'Topic', { enforceSSL: true });
    const alarm = queue.addFailureAlarm('Failures', { alarmActions: [new actions.SnsAction(topic)] });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'celeriac',
      MetricName: 'Failures',
      Dimensions: [{ Name: 'queue', Value: 'celery' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalIdOf(topic) }],
    });
    expect(alarm.node.path).toBe('Demo/Tasks/Failures');
  });

  it('adds a failure alarm on one task name with its own threshold, period and evaluation periods', () => {
    const { stack, queue } = queueWith();
    queue.addFailureAlarm('ChargeFailures', {
      taskName: 'orders.charge',
      threshold: 3,
      period: Duration.minutes(10),
      evaluationPeriods: 2,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Failures',
      Dimensions: [{ Name: 'task', Value: 'orders.charge' }],
      Period: 600,
      Threshold: 3,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      AlarmDescription: Match.stringLikeRegexp('orders\\.charge.*at least 3 time\\(s\\) in 10 minute'),
    });
  });

  it('adds an oldest-message-age alarm: 1-minute maximum of SQS age ≥ maxAge for 3 minutes', () => {
    const { stack, queue } = queueWith();
    queue.addOldestMessageAgeAlarm('Backlog', { maxAge: Duration.minutes(15) });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(queue.queue.queueName) }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 900,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('creates no alarm beyond the dead-letter one unless asked', () => {
    const { stack } = queueWith();
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'))).toHaveLength(1);
  });

  it.each([
    [{ threshold: 0 }, '`addFailureAlarm.threshold` (0) must be a whole number of at least 1'],
    [{ threshold: 1.5 }, '`addFailureAlarm.threshold` (1.5) must be a whole number of at least 1'],
    [
      { period: Duration.seconds(30) },
      '`addFailureAlarm.period` (30 s) must be from 60 s to 86400 s = 1 day',
    ],
    [
      { period: Duration.seconds(90) },
      /`addFailureAlarm.period` \(90 s = .+\) must be a whole number of minutes/,
    ],
    [
      { period: Duration.hours(1), evaluationPeriods: 25 },
      '`addFailureAlarm.evaluationPeriods` (25) must be a whole number from 1 to 24',
    ],
    [{ taskName: ' ' }, '`metricFailures.taskName` (" ") must be a task name'],
  ] as const)('refuses failure alarm props %o, naming the bad value', (props, message) => {
    const { queue } = queueWith();
    expect(() => queue.addFailureAlarm('Bad', props)).toThrow(CeleriacConfigurationError);
    expect(() => queue.addFailureAlarm('Bad2', props)).toThrow(message);
  });

  it.each([
    [
      { maxAge: Duration.millis(500) },
      '`addOldestMessageAgeAlarm.maxAge` (0.5 s) must be a whole number of seconds',
    ],
    [
      { maxAge: Duration.days(15) },
      '`addOldestMessageAgeAlarm.maxAge` (1296000 s = 15 days) must be from 1 s to 1209600 s = 14 days',
    ],
    [
      { maxAge: Duration.minutes(5), evaluationPeriods: 0 },
      '`addOldestMessageAgeAlarm.evaluationPeriods` (0) must be a whole number from 1 to 1440',
    ],
  ] as const)('refuses oldest-message-age alarm props %o, naming the bad value', (props, message) => {
    const { queue } = queueWith();
    expect(() => queue.addOldestMessageAgeAlarm('Bad', props)).toThrow(message);
  });

  it('passes the cdk-nag AwsSolutions checks with every alarm added', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Alarms');
    const queue = new TaskQueue(stack, 'Tasks', {
      resultStore: new ResultStore(stack, 'Results'),
      worker: { entry: WORKER_ENTRY, events: { emfMetrics: true } },
    });
    queue.addFailureAlarm('Failures');
    queue.addOldestMessageAgeAlarm('Backlog', { maxAge: Duration.minutes(15) });
    queue.metricDuration({ taskName: 'orders.charge' }).createAlarm(stack, 'Slow', {
      threshold: 10_000,
      evaluationPeriods: 1,
    });
    expect(
      new AwsSolutionsChecks().validateScope(app).violations.map((violation) => violation.ruleName),
    ).toEqual([]);
  });
});
