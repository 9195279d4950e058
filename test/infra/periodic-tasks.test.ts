import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type App as CdkApp, Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import {
  CeleriacConfigurationError,
  PeriodicTasks,
  type PeriodicTasksProps,
  ResultStore,
  type ScheduleDefinition,
  TaskQueue,
} from '../../infra/index.js';
import { SCHEDULED_TIME_PLACEHOLDER } from '../../src/config/schedule-definition.js';
import { type App, createApp, crontab, every, isCeleriacError } from '../../src/index.js';
import { createMemoryTransport } from '../../src/memory/index.js';
import { allowedPairs, logicalIdOf, newStack, pairs, WORKER_ENTRY } from './helpers.js';

/** The schedule definitions of a real celeriac app with the periodic tasks `register` adds. */
function definitionsOf(register: (app: App) => void): ScheduleDefinition[] {
  const app = createApp({ transport: createMemoryTransport() });
  register(app);
  return app.scheduleDefinitions();
}

/** A nightly task on `celery`, a first-Monday-or-Friday report (two schedules) and a disabled tick on `reports`. */
const DEFINITIONS = definitionsOf((app) => {
  app.periodic('nightly-cleanup', {
    task: 'maintenance.cleanup',
    schedule: crontab({ minute: 0, hour: 4 }),
    args: ['<all>', { olderThanDays: 30 }],
  });
  app.periodic('first-week-report', {
    task: 'reports.weekly',
    schedule: crontab({ minute: 0, hour: 9, dayOfMonth: '1-7', dayOfWeek: 'mon,fri' }),
    timezone: 'Europe/Paris',
  });
  app.periodic('tick', {
    task: 'reports.tick',
    schedule: every(300),
    options: { queue: 'reports' },
    enabled: false,
  });
});

function definition(name: string): ScheduleDefinition {
  const found = DEFINITIONS.find((d) => d.name === name);
  if (found === undefined) throw new Error(`no definition ${name}`);
  return found;
}

interface Setup {
  stack: Stack;
  tasks: TaskQueue;
  reports: TaskQueue;
  periodic: PeriodicTasks;
  template: Template;
}

/** `Demo/Periodic` over two task queues (`celery` and `reports`) with the given props. */
function setup(
  props: Partial<PeriodicTasksProps> = {},
  queueOptions: { readonly encryptionKey?: (stack: Stack) => kms.IKey } = {},
): Setup {
  const stack = newStack();
  const resultStore = new ResultStore(stack, 'Results');
  const encryptionKey = queueOptions.encryptionKey?.(stack);
  const tasks = new TaskQueue(stack, 'Tasks', {
    resultStore,
    worker: { entry: WORKER_ENTRY },
    encryptionKey,
  });
  const reports = new TaskQueue(stack, 'Reports', {
    celeryQueueName: 'reports',
    resultStore,
    worker: { entry: WORKER_ENTRY },
  });
  const periodic = new PeriodicTasks(stack, 'Periodic', {
    schedules: DEFINITIONS,
    queues: [tasks, reports],
    ...props,
  });
  return { stack, tasks, reports, periodic, template: Template.fromStack(stack) };
}

/** The `AWS::Scheduler::Schedule` properties of every schedule, by schedule name. */
function schedulesByName(template: Template): Map<string, Record<string, unknown>> {
  const schedules = template.findResources('AWS::Scheduler::Schedule');
  return new Map(
    Object.values(schedules).map((resource) => [
      String(resource.Properties.Name),
      resource.Properties as Record<string, unknown>,
    ]),
  );
}

function roleId(periodic: PeriodicTasks): string {
  return logicalIdOf(periodic.role);
}

describe('PeriodicTasks defaults', () => {
  const { stack, tasks, reports, periodic, template } = setup();
  const schedules = schedulesByName(template);

  it('creates one schedule per expression, named <periodic task name>-<n>', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 4);
    expect([...schedules.keys()].sort()).toEqual(
      ['first-week-report-1', 'first-week-report-2', 'nightly-cleanup-1', 'tick-1'].sort(),
    );
    expect([...periodic.schedules.keys()].sort()).toEqual([...schedules.keys()].sort());
  });

  it('turns a crontab on days 1-7 and Monday or Friday into two `#1` schedules in its timezone', () => {
    const first = schedules.get('first-week-report-1');
    const second = schedules.get('first-week-report-2');
    expect([first?.ScheduleExpression, second?.ScheduleExpression]).toEqual([
      'cron(0 9 ? * 2#1 *)',
      'cron(0 9 ? * 6#1 *)',
    ]);
    expect([first?.ScheduleExpressionTimezone, second?.ScheduleExpressionTimezone]).toEqual([
      'Europe/Paris',
      'Europe/Paris',
    ]);
    const { description } = definition('first-week-report');
    expect([first?.Description, second?.Description]).toEqual([
      `${description} (schedule 1 of 2)`,
      `${description} (schedule 2 of 2)`,
    ]);
  });

  it('gives a single-expression schedule the definition description, expression and timezone', () => {
    const nightly = definition('nightly-cleanup');
    expect(schedules.get('nightly-cleanup-1')).toMatchObject({
      Description: nightly.description,
      ScheduleExpression: 'cron(0 4 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
    });
  });

  it('fires at the exact time: the flexible time window is off on every schedule', () => {
    for (const schedule of schedules.values()) {
      expect(schedule.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
    }
  });

  it('deploys enabled definitions ENABLED and disabled ones DISABLED', () => {
    expect(Object.fromEntries([...schedules].map(([name, schedule]) => [name, schedule.State]))).toEqual({
      'nightly-cleanup-1': 'ENABLED',
      'first-week-report-1': 'ENABLED',
      'first-week-report-2': 'ENABLED',
      'tick-1': 'DISABLED',
    });
  });

  it("sends each definition's input, byte for byte, to the queue of its Celery queue", () => {
    const expected: Record<string, [string, unknown]> = {
      'nightly-cleanup-1': [definition('nightly-cleanup').input, stack.resolve(tasks.queue.queueArn)],
      'first-week-report-1': [definition('first-week-report').input, stack.resolve(tasks.queue.queueArn)],
      'first-week-report-2': [definition('first-week-report').input, stack.resolve(tasks.queue.queueArn)],
      'tick-1': [definition('tick').input, stack.resolve(reports.queue.queueArn)],
    };
    for (const [name, schedule] of schedules) {
      const target = schedule.Target as Record<string, unknown>;
      const [input, arn] = expected[name] ?? [];
      expect(target.Input).toBe(input);
      expect(target.Arn).toEqual(arn);
      expect(target.SqsParameters).toBeUndefined();
    }
  });

  it('keeps the scheduled-time placeholder and the `<` `>` of the arguments untouched in the synthesized file', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'periodic-'));
    try {
      const synthStack = newStack({ outdir });
      const resultStore = new ResultStore(synthStack, 'Results');
      const queue = new TaskQueue(synthStack, 'Tasks', { resultStore, worker: { entry: WORKER_ENTRY } });
      new PeriodicTasks(synthStack, 'Periodic', {
        schedules: [definition('nightly-cleanup')],
        queues: [queue],
      });
      (synthStack.node.root as CdkApp).synth();
      const file = readFileSync(path.join(outdir, 'Demo.template.json'), 'utf8');
      const resources = Object.values(JSON.parse(file).Resources) as Array<{
        Type: string;
        Properties: { Target: { Input: string } };
      }>;
      const inputs = resources
        .filter((r) => r.Type === 'AWS::Scheduler::Schedule')
        .map((r) => r.Properties.Target.Input);
      const { input } = definition('nightly-cleanup');
      expect(inputs).toEqual([input]);
      expect(Buffer.from(inputs[0] ?? '').equals(Buffer.from(input))).toBe(true);
      expect(input).toContain(`"id": "nightly-cleanup-${SCHEDULED_TIME_PLACEHOLDER}"`);
      expect(input).toContain(`"argsrepr": "('<all>', {'olderThanDays': 30})"`);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('retries up to 185 times for at most one hour, then dead-letters, with the role of the construct', () => {
    for (const schedule of schedules.values()) {
      expect(schedule.Target).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: stack.resolve(periodic.deadLetterQueue.queueArn) },
        RoleArn: stack.resolve(periodic.role.roleArn),
      });
    }
  });

  it('puts every schedule in one schedule group named after the stack and path, deleted with the stack', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    const groups = Object.values(template.findResources('AWS::Scheduler::ScheduleGroup'));
    const groupName = String(groups[0]?.Properties.Name);
    expect(groupName).toMatch(/^Demo-Periodic-Group-[A-F0-9]{8}$/);
    expect(groups[0]).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    for (const schedule of schedules.values()) expect(schedule.GroupName).toBe(groupName);
    expect(stack.resolve(periodic.scheduleGroup.scheduleGroupName)).toBe(groupName);
  });

  it('lets only scheduler.amazonaws.com assume the role, for this account and schedule group', () => {
    const roles = template.findResources('AWS::IAM::Role');
    const role = roles[roleId(periodic)];
    const groupName = stack.resolve(periodic.scheduleGroup.scheduleGroupName);
    expect(role?.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: {
              'aws:SourceAccount': { Ref: 'AWS::AccountId' },
              'aws:SourceArn': {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':scheduler:',
                    { Ref: 'AWS::Region' },
                    ':',
                    { Ref: 'AWS::AccountId' },
                    `:schedule-group/${groupName}`,
                  ],
                ],
              },
            },
          },
        },
      ],
    });
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role?.Properties.Policies).toBeUndefined();
  });

  it('names the schedule group without referring to its resource, so emulators that skip groups still deploy', () => {
    const groupId = logicalIdOf(periodic.scheduleGroup);
    const { [groupId]: _group, ...others } = template.toJSON().Resources as Record<string, unknown>;
    const text = JSON.stringify(others);
    // `DependsOn` the group is fine (moto deploys it); a value that needs the group's attributes is not.
    expect(text).not.toContain(`"Ref":"${groupId}"`);
    expect(text).not.toContain(`"Fn::GetAtt":["${groupId}"`);
    expect(text).toContain(`"GroupName":"${stack.resolve(periodic.scheduleGroup.scheduleGroupName)}"`);
  });

  it('allows the role exactly sqs:SendMessage on the target queues and the dead-letter queue', () => {
    expect(allowedPairs(template, roleId(periodic))).toEqual(
      pairs(
        stack,
        ['sqs:SendMessage'],
        [tasks.queue.queueArn, reports.queue.queueArn, periodic.deadLetterQueue.queueArn],
      ).sort(),
    );
  });

  it('creates each schedule only once its group exists and its role may send', () => {
    const policyId = Object.keys(template.findResources('AWS::IAM::Policy')).find((id) =>
      id.startsWith('PeriodicSchedulerRoleDefaultPolicy'),
    );
    const groupId = logicalIdOf(periodic.scheduleGroup);
    for (const resource of Object.values(template.findResources('AWS::Scheduler::Schedule'))) {
      expect(resource.DependsOn).toEqual(expect.arrayContaining([groupId, roleId(periodic), policyId]));
    }
  });

  it('creates a TLS-only dead-letter queue with SSE-SQS that keeps dead letters 14 days', () => {
    const dlqId = logicalIdOf(periodic.deadLetterQueue);
    expect(dlqId).toMatch(/^PeriodicDeadLetterQueue/);
    expect(template.findResources('AWS::SQS::Queue')[dlqId]?.Properties).toEqual({
      MessageRetentionPeriod: 14 * 86_400,
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [stack.resolve(periodic.deadLetterQueue.queueUrl)],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Deny',
            Action: 'sqs:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: stack.resolve(periodic.deadLetterQueue.queueArn),
          },
        ],
      },
    });
  });

  it('alarms when the dead-letter queue holds at least one visible message for one minute', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(periodic.deadLetterQueue.queueName) }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: Match.absent(),
      AlarmDescription: Match.stringLikeRegexp('periodic tasks'),
    });
    expect(periodic.deadLetterAlarm).toBeDefined();
    expect(stack.resolve(periodic.deadLetterAlarm?.alarmArn)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^PeriodicDeadLetterAlarm/), 'Arn'],
    });
  });

  it('encrypts the schedules with an AWS owned key (no KmsKeyArn)', () => {
    for (const schedule of schedules.values()) expect(schedule.KmsKeyArn).toBeUndefined();
  });
});

describe('PeriodicTasks props', () => {
  it('names the schedule group `scheduleGroupName`', () => {
    const { template } = setup({ scheduleGroupName: 'celeriac-periodic' });
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'celeriac-periodic' });
    for (const schedule of schedulesByName(template).values()) {
      expect(schedule.GroupName).toBe('celeriac-periodic');
    }
  });

  it('applies `retryAttempts` (0 included) and `maximumEventAge` to every schedule', () => {
    const { template } = setup({ retryAttempts: 0, maximumEventAge: Duration.minutes(10) });
    for (const schedule of schedulesByName(template).values()) {
      expect((schedule.Target as Record<string, unknown>).RetryPolicy).toEqual({
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 600,
      });
    }
  });

  it('uses a passed dead-letter queue: no queue or alarm of its own, and the role may send to it', () => {
    const stack = newStack();
    const resultStore = new ResultStore(stack, 'Results');
    const tasks = new TaskQueue(stack, 'Tasks', { resultStore, worker: { entry: WORKER_ENTRY } });
    const deadLetterQueue = new sqs.Queue(stack, 'SharedDlq');
    const periodic = new PeriodicTasks(stack, 'Periodic', {
      schedules: [definition('nightly-cleanup')],
      queues: [tasks],
      deadLetterQueue,
      deadLetterAlarm: { threshold: 5 },
    });
    const template = Template.fromStack(stack);
    expect(periodic.deadLetterQueue).toBe(deadLetterQueue);
    expect(periodic.deadLetterAlarm).toBeUndefined();
    expect(
      Object.keys(template.findResources('AWS::SQS::Queue')).some((id) => id.startsWith('Periodic')),
    ).toBe(false);
    expect(
      Object.keys(template.findResources('AWS::CloudWatch::Alarm')).some((id) => id.startsWith('Periodic')),
    ).toBe(false);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({ DeadLetterConfig: { Arn: stack.resolve(deadLetterQueue.queueArn) } }),
    });
    expect(allowedPairs(template, roleId(periodic))).toEqual(
      pairs(stack, ['sqs:SendMessage'], [tasks.queue.queueArn, deadLetterQueue.queueArn]).sort(),
    );
  });

  it('sets the alarm threshold and actions from `deadLetterAlarm`', () => {
    const stack = newStack();
    const resultStore = new ResultStore(stack, 'Results');
    const tasks = new TaskQueue(stack, 'Tasks', { resultStore, worker: { entry: WORKER_ENTRY } });
    const topic = new sns.Topic(stack, 'Alerts');
    const periodic = new PeriodicTasks(stack, 'Periodic', {
      schedules: [definition('nightly-cleanup')],
      queues: [tasks],
      deadLetterAlarm: { threshold: 3, alarmActions: [new cloudwatchActions.SnsAction(topic)] },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(periodic.deadLetterQueue.queueName) }],
      Threshold: 3,
      AlarmActions: [stack.resolve(topic.topicArn)],
    });
  });

  it('with `encryptionKey`: encrypts schedules and dead-letter queue with it; the role may use it once', () => {
    const stack = newStack();
    const resultStore = new ResultStore(stack, 'Results');
    const tasks = new TaskQueue(stack, 'Tasks', { resultStore, worker: { entry: WORKER_ENTRY } });
    const key = new kms.Key(stack, 'ScheduleKey');
    const periodic = new PeriodicTasks(stack, 'Periodic', {
      schedules: DEFINITIONS.filter((d) => d.celeryQueue === 'celery'),
      queues: [tasks],
      encryptionKey: key,
    });
    const template = Template.fromStack(stack);
    for (const schedule of schedulesByName(template).values()) {
      expect(schedule.KmsKeyArn).toEqual(stack.resolve(key.keyArn));
    }
    expect(
      template.findResources('AWS::SQS::Queue')[logicalIdOf(periodic.deadLetterQueue)]?.Properties,
    ).toEqual({
      MessageRetentionPeriod: 14 * 86_400,
      KmsMasterKeyId: stack.resolve(key.keyArn),
    });
    expect(allowedPairs(template, roleId(periodic))).toEqual(
      [
        ...pairs(stack, ['sqs:SendMessage'], [tasks.queue.queueArn, periodic.deadLetterQueue.queueArn]),
        ...pairs(stack, ['kms:GenerateDataKey', 'kms:Decrypt'], [key.keyArn]),
      ].sort(),
    );
  });

  it('grants kms:GenerateDataKey and kms:Decrypt on the key of a KMS-encrypted target queue', () => {
    const { stack, tasks, reports, periodic, template } = setup(
      {},
      { encryptionKey: (s) => new kms.Key(s, 'QueueKey') },
    );
    const key = tasks.queue.encryptionMasterKey;
    if (key === undefined) throw new Error('the task queue has no key');
    expect(allowedPairs(template, roleId(periodic))).toEqual(
      [
        ...pairs(
          stack,
          ['sqs:SendMessage'],
          [tasks.queue.queueArn, reports.queue.queueArn, periodic.deadLetterQueue.queueArn],
        ),
        ...pairs(stack, ['kms:GenerateDataKey', 'kms:Decrypt'], [key.keyArn]),
      ].sort(),
    );
  });

  it('adds only the schedules key decryption when the target queue key is another key', () => {
    const queueKey = (s: Stack): kms.IKey => new kms.Key(s, 'QueueKey');
    const stack = newStack();
    const resultStore = new ResultStore(stack, 'Results');
    const tasks = new TaskQueue(stack, 'Tasks', {
      resultStore,
      worker: { entry: WORKER_ENTRY },
      encryptionKey: queueKey(stack),
    });
    const scheduleKey = new kms.Key(stack, 'ScheduleKey');
    const deadLetterQueue = new sqs.Queue(stack, 'SharedDlq');
    const periodic = new PeriodicTasks(stack, 'Periodic', {
      schedules: [definition('nightly-cleanup')],
      queues: [tasks],
      deadLetterQueue,
      encryptionKey: scheduleKey,
    });
    const key = tasks.queue.encryptionMasterKey;
    if (key === undefined) throw new Error('the task queue has no key');
    expect(allowedPairs(Template.fromStack(stack), roleId(periodic))).toEqual(
      [
        ...pairs(stack, ['sqs:SendMessage'], [tasks.queue.queueArn, deadLetterQueue.queueArn]),
        ...pairs(stack, ['kms:GenerateDataKey', 'kms:Decrypt'], [key.keyArn]),
        ...pairs(stack, ['kms:Decrypt'], [scheduleKey.keyArn]),
      ].sort(),
    );
  });

  it('accepts `{ celeryQueueName, queue }` for a queue managed elsewhere, and grants only targeted queues', () => {
    const stack = newStack();
    const pythonQueue = sqs.Queue.fromQueueArn(
      stack,
      'PythonQueue',
      'arn:aws:sqs:eu-west-1:123456789012:python-celery',
    );
    const unused = new sqs.Queue(stack, 'Unused');
    const periodic = new PeriodicTasks(stack, 'Periodic', {
      schedules: [{ ...definition('nightly-cleanup'), celeryQueue: 'python' }],
      queues: [
        { celeryQueueName: 'python', queue: pythonQueue },
        { celeryQueueName: 'unused', queue: unused },
      ],
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({ Arn: 'arn:aws:sqs:eu-west-1:123456789012:python-celery' }),
    });
    expect(allowedPairs(template, roleId(periodic))).toEqual(
      pairs(
        stack,
        ['sqs:SendMessage'],
        ['arn:aws:sqs:eu-west-1:123456789012:python-celery', periodic.deadLetterQueue.queueArn],
      ).sort(),
    );
  });

  it('accepts the same queue listed twice', () => {
    const { stack, tasks } = setup();
    expect(
      () =>
        new PeriodicTasks(stack, 'Again', {
          schedules: [definition('nightly-cleanup')],
          queues: [tasks, { celeryQueueName: 'celery', queue: tasks.queue }],
          scheduleGroupName: 'again',
        }),
    ).not.toThrow();
  });

  it('truncates a description over 512 characters to 512', () => {
    const { template } = setup({
      schedules: [{ ...definition('nightly-cleanup'), description: 'd'.repeat(600) }],
    });
    const [schedule] = schedulesByName(template).values();
    expect(String(schedule?.Description)).toHaveLength(512);
    expect(String(schedule?.Description)).toBe(`${'d'.repeat(511)}…`);
  });

  it('creates only the group, the role (allowed only the dead-letter queue) and the queue for an app without periodic tasks', () => {
    const { stack, periodic, template } = setup({ schedules: [] });
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    expect(allowedPairs(template, roleId(periodic))).toEqual(
      pairs(stack, ['sqs:SendMessage'], [periodic.deadLetterQueue.queueArn]),
    );
  });
});

describe('PeriodicTasks validation', () => {
  /** Builds `Demo/Periodic` over the `celery` and `reports` task queues (and `orders.fifo`) with `props`. */
  function build(props: Partial<PeriodicTasksProps>): () => PeriodicTasks {
    return () => {
      const stack = newStack();
      const resultStore = new ResultStore(stack, 'Results');
      const worker = { entry: WORKER_ENTRY };
      const queues = [
        new TaskQueue(stack, 'Tasks', { resultStore, worker }),
        new TaskQueue(stack, 'Reports', { celeryQueueName: 'reports', resultStore, worker }),
        new TaskQueue(stack, 'Orders', { celeryQueueName: 'orders.fifo', resultStore, worker }),
      ];
      return new PeriodicTasks(stack, 'Periodic', { schedules: DEFINITIONS, queues, ...props });
    };
  }

  const nightly = definition('nightly-cleanup');

  it('refuses a definition whose Celery queue has no queue in `queues`, naming the queues it has', () => {
    expect(build({ schedules: [{ ...nightly, celeryQueue: 'emails' }] })).toThrow(
      'PeriodicTasks Demo/Periodic: `schedules[0].celeryQueue` ("emails") (periodic task "nightly-cleanup") has ' +
        'no queue in `queues` (given: "celery", "reports", "orders.fifo"). Add the TaskQueue that serves "emails" ' +
        'to `queues`, or route the periodic task to one of them (`options.queue`).',
    );
  });

  it('throws a CeleriacConfigurationError with the construct path, prop and value', () => {
    let caught: unknown;
    try {
      build({ schedules: [nightly, { ...nightly, name: 'nightly-emails', celeryQueue: 'emails' }] })();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CeleriacConfigurationError);
    expect(isCeleriacError(caught)).toBe(true);
    expect(caught).toMatchObject({
      name: 'CeleriacConfigurationError',
      constructPath: 'Demo/Periodic',
      prop: 'schedules[1].celeryQueue',
      value: '"emails"',
    });
  });

  it('refuses two definitions with the same name', () => {
    expect(build({ schedules: [nightly, definition('tick'), { ...nightly }] })).toThrow(
      /`schedules\[2\]\.name` \("nightly-cleanup"\) is the name of an earlier definition too/,
    );
  });

  it('refuses a FIFO target queue: Scheduler cannot set a deduplication id', () => {
    expect(build({ schedules: [{ ...nightly, celeryQueue: 'orders.fifo' }] })).toThrow(
      /`schedules\[0\]\.celeryQueue` \("orders\.fifo"\) \(periodic task "nightly-cleanup"\) is a FIFO queue: EventBridge Scheduler cannot give its messages a deduplication id/,
    );
  });

  it('refuses a FIFO SQS queue behind a Celery name without `.fifo`', () => {
    const stack = newStack();
    const fifo = sqs.Queue.fromQueueArn(stack, 'Fifo', 'arn:aws:sqs:eu-west-1:123456789012:orders.fifo');
    expect(
      () =>
        new PeriodicTasks(stack, 'Periodic', {
          schedules: [{ ...nightly, celeryQueue: 'orders' }],
          queues: [{ celeryQueueName: 'orders', queue: fifo }],
        }),
    ).toThrow(/`schedules\[0\]\.celeryQueue` \("orders"\) .* is a FIFO queue/);
  });

  it('refuses a definition without expressions', () => {
    expect(build({ schedules: [{ ...nightly, expressions: [] }] })).toThrow(
      /`schedules\[0\]\.expressions` \(\[\]\) is empty, so periodic task "nightly-cleanup" would never fire/,
    );
  });

  it('refuses an input over 256 KB (counted in UTF-8 bytes) and accepts one of exactly 256 KB', () => {
    const limit = 256 * 1024;
    const padded = (bytes: number, filler: string): ScheduleDefinition => {
      const fillerBytes = Buffer.byteLength(filler);
      const room = bytes - Buffer.byteLength(nightly.input);
      return { ...nightly, input: `${nightly.input}${filler.repeat(Math.floor(room / fillerBytes))}` };
    };
    expect(build({ schedules: [padded(limit, ' ')] })).not.toThrow();
    expect(Buffer.byteLength(padded(limit, ' ').input)).toBe(limit);
    expect(build({ schedules: [padded(limit + 1, ' ')] })).toThrow(
      `\`schedules[0].input\` (${limit + 1} bytes) (periodic task "nightly-cleanup") must be 1 to ${limit} bytes, ` +
        "EventBridge Scheduler's limit on a schedule's payload.",
    );
    // 'é' is two bytes: as many characters as the limit allows, one byte too many.
    const accented = { ...nightly, input: `${padded(limit - 1, ' ').input}é` };
    expect(accented.input.length).toBe(limit);
    expect(build({ schedules: [accented] })).toThrow(`\`schedules[0].input\` (${limit + 1} bytes)`);
  });

  it('refuses an input without the scheduled-time placeholder, which would give every firing one task id', () => {
    const input = nightly.input.split(SCHEDULED_TIME_PLACEHOLDER).join('2026-01-01T04:00:00Z');
    expect(build({ schedules: [{ ...nightly, input }] })).toThrow(
      /`schedules\[0\]\.input` .* must contain <aws\.scheduler\.scheduled-time> in its task id: without it every firing would carry the same task id/,
    );
  });

  it('refuses a name whose schedule names Scheduler would refuse', () => {
    expect(build({ schedules: [{ ...nightly, name: 'n'.repeat(63) }] })).toThrow(
      /`schedules\[0\]\.name` \("n{63}"\) must be .* here up to "n{63}-1"\) stay within EventBridge Scheduler's 64 characters/,
    );
    expect(build({ schedules: [{ ...nightly, name: 'n'.repeat(62) }] })).not.toThrow();
    expect(build({ schedules: [{ ...nightly, name: 'nightly cleanup' }] })).toThrow(
      /`schedules\[0\]\.name` \("nightly cleanup"\) must be letters, digits/,
    );
    const tenExpressions = Array.from({ length: 10 }, () => ({
      expression: 'rate(1 hour)',
      timezone: 'UTC',
    }));
    expect(build({ schedules: [{ ...nightly, name: 'n'.repeat(62), expressions: tenExpressions }] })).toThrow(
      /here up to "n{62}-10"/,
    );
  });

  it('refuses two different queues under one Celery name', () => {
    const stack = newStack();
    const resultStore = new ResultStore(stack, 'Results');
    const first = new TaskQueue(stack, 'First', { resultStore, worker: { entry: WORKER_ENTRY } });
    const second = new TaskQueue(stack, 'Second', { resultStore, worker: { entry: WORKER_ENTRY } });
    expect(
      () => new PeriodicTasks(stack, 'Periodic', { schedules: [nightly], queues: [first, second] }),
    ).toThrow(
      'PeriodicTasks Demo/Periodic: `queues[1].celeryQueueName` ("celery") is also the Celery name of ' +
        'Demo/First/Queue: each Celery queue name must map to one SQS queue. Remove one of them.',
    );
  });

  it('refuses retry attempts outside 0-185 or not whole', () => {
    for (const retryAttempts of [-1, 186, 1.5]) {
      expect(build({ retryAttempts })).toThrow(
        `\`retryAttempts\` (${retryAttempts}) must be a whole number from 0 to 185: the retry attempts ` +
          'EventBridge Scheduler accepts.',
      );
    }
    expect(build({ retryAttempts: 185 })).not.toThrow();
  });

  it('refuses a maximum event age outside 1 minute to 24 hours or not whole seconds', () => {
    expect(build({ maximumEventAge: Duration.seconds(59) })).toThrow(
      '`maximumEventAge` (59 s) must be from 60 s to 86400 s = 1 day: the maximum event ages ' +
        'EventBridge Scheduler accepts.',
    );
    expect(build({ maximumEventAge: Duration.hours(25) })).toThrow(
      /`maximumEventAge` \(90000 s = 1 day 1 hour\)/,
    );
    expect(build({ maximumEventAge: Duration.millis(90_500) })).toThrow(
      /`maximumEventAge` \(90\.5 s = .*\) must be a whole number of seconds, from 60 s/,
    );
    expect(build({ maximumEventAge: Duration.days(1) })).not.toThrow();
    expect(build({ maximumEventAge: Duration.minutes(1) })).not.toThrow();
  });

  it('refuses a FIFO dead-letter queue', () => {
    const stack = newStack();
    const resultStore = new ResultStore(stack, 'Results');
    const tasks = new TaskQueue(stack, 'Tasks', { resultStore, worker: { entry: WORKER_ENTRY } });
    const deadLetterQueue = new sqs.Queue(stack, 'Dlq', { fifo: true, queueName: 'dlq.fifo' });
    expect(
      () => new PeriodicTasks(stack, 'Periodic', { schedules: [nightly], queues: [tasks], deadLetterQueue }),
    ).toThrow(
      '`deadLetterQueue` (Demo/Dlq) is a FIFO queue: EventBridge Scheduler delivers dead-letter events to ' +
        'standard SQS queues only.',
    );
  });

  it('refuses a schedule group name Scheduler would refuse', () => {
    expect(build({ scheduleGroupName: 'my group' })).toThrow(
      '`scheduleGroupName` ("my group") must be 1 to 64 letters, digits, `-`, `_` or `.`',
    );
    expect(build({ scheduleGroupName: 'g'.repeat(65) })).toThrow(/`scheduleGroupName` \("g{65}"\)/);
    expect(build({ scheduleGroupName: 'g'.repeat(64) })).not.toThrow();
  });

  it('refuses a dead-letter alarm threshold under 1', () => {
    expect(build({ deadLetterAlarm: { threshold: 0 } })).toThrow(
      /`deadLetterAlarm\.threshold` \(0\) must be a whole number of at least 1/,
    );
  });

  it('checks the definitions that `app.scheduleDefinitions()` produces without complaint', () => {
    expect(build({})).not.toThrow();
  });
});
