import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { ResultStore, TaskQueue } from '../../infra/index.js';
import { ENV } from '../../src/config/env.js';
import {
  allowedPairs,
  callerFunction,
  environmentOf,
  logicalIdOf,
  newStack,
  pairs,
  rendered,
  WORKER_ENTRY,
} from './helpers.js';

function queue(
  stack: Stack,
  id: string,
  results: ResultStore,
  extra: Partial<ConstructorParameters<typeof TaskQueue>[2]> = {},
) {
  return new TaskQueue(stack, id, {
    resultStore: results,
    worker: { entry: WORKER_ENTRY },
    longEtas: true,
    ...extra,
  });
}

/** The group name and the ARN pattern of its celeriac schedules, as the template has them. */
function groupOf(template: Template): { name: string; schedules: unknown } {
  const groups = Object.values(template.findResources('AWS::Scheduler::ScheduleGroup'));
  expect(groups).toHaveLength(1);
  const name = String(groups[0]?.Properties.Name);
  return {
    name,
    schedules: {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':scheduler:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:schedule/${name}/celeriac-*`,
        ],
      ],
    },
  };
}

describe('TaskQueue longEtas', () => {
  it('is off by default: no schedule group, no delivery role, no scheduler rights', () => {
    const stack = newStack();
    const tasks = new TaskQueue(stack, 'Tasks', {
      resultStore: new ResultStore(stack, 'Results'),
      worker: { entry: WORKER_ENTRY },
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 0);
    expect(tasks.longEtas).toBeUndefined();
    const worker = allowedPairs(template, logicalIdOf(tasks.workerFunction.role ?? tasks));
    expect(worker.filter((pair) => /^(scheduler|iam):/.test(pair))).toEqual([]);
  });

  it('makes one schedule group per stack, deleted with the stack, and one delivery role per queue', () => {
    const stack = newStack();
    const results = new ResultStore(stack, 'Results');
    const jobs = queue(stack, 'Jobs', results, { celeryQueueName: 'jobs' });
    const reports = queue(stack, 'Reports', results, { celeryQueueName: 'reports' });
    const template = Template.fromStack(stack);
    const { name } = groupOf(template);
    const [group] = Object.values(template.findResources('AWS::Scheduler::ScheduleGroup'));
    expect(group).toMatchObject({ DeletionPolicy: 'Delete' });
    expect(stack.resolve(jobs.longEtas?.scheduleGroup.scheduleGroupName)).toBe(name);
    expect(jobs.longEtas?.role).toBeDefined();
    expect(jobs.longEtas?.role).not.toBe(reports.longEtas?.role);
  });

  it('lets only scheduler.amazonaws.com assume the role, for this account and the long-ETA group, to send to its queue only', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const tasks = queue(stack, 'Tasks', new ResultStore(stack, 'Results'), { encryptionKey: key });
    const template = Template.fromStack(stack);
    const { name } = groupOf(template);
    const role = tasks.longEtas?.role;
    if (role === undefined) throw new Error('no delivery role');
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
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
                      `:schedule-group/${name}`,
                    ],
                  ],
                },
              },
            },
          },
        ],
      },
      Description: Match.stringLikeRegexp('Demo/Tasks'),
    });
    expect(allowedPairs(template, logicalIdOf(role))).toEqual(
      [
        ...pairs(stack, ['sqs:SendMessage'], [tasks.queue.queueArn]),
        ...pairs(stack, ['kms:GenerateDataKey', 'kms:Decrypt'], [key.keyArn]),
      ].sort(),
    );
  });

  it('grants callers CreateSchedule on celeriac schedules of the group and PassRole to the scheduler, and tells them', () => {
    const stack = newStack();
    const results = new ResultStore(stack, 'Results');
    const jobs = queue(stack, 'Jobs', results, { celeryQueueName: 'jobs' });
    const reports = queue(stack, 'Reports', results, { celeryQueueName: 'reports' });
    const caller = callerFunction(stack);
    jobs.grantSendTasks(caller);
    reports.grantSendTasks(caller);
    const template = Template.fromStack(stack);
    const { name, schedules } = groupOf(template);
    const role = (q: TaskQueue) => q.longEtas?.role.roleArn;
    expect(allowedPairs(template, logicalIdOf(caller.role ?? caller))).toEqual(
      [
        ...pairs(stack, ['sqs:SendMessage'], [jobs.queue.queueArn, reports.queue.queueArn]),
        // One group for both queues: one statement.
        ...pairs(stack, ['scheduler:CreateSchedule'], [schedules]),
        ...pairs(stack, ['iam:PassRole'], [role(jobs), role(reports)]),
      ].sort(),
    );
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(caller.role ?? caller) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'iam:PassRole',
            Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
            Resource: stack.resolve(role(jobs)),
          }),
        ]),
      },
    });
    const environment = environmentOf(template, logicalIdOf(caller));
    expect(environment[ENV.SCHEDULE_GROUP]).toBe(name);
    expect(JSON.parse(String(environment[ENV.SCHEDULER_ROLE_ARNS]))).toEqual({
      jobs: rendered(stack, role(jobs)),
      reports: rendered(stack, role(reports)),
    });
  });

  it("gives the queue's own worker the same rights, so it can schedule far ETAs it receives", () => {
    const stack = newStack();
    const tasks = queue(stack, 'Tasks', new ResultStore(stack, 'Results'));
    const template = Template.fromStack(stack);
    const worker = allowedPairs(template, logicalIdOf(tasks.workerFunction.role ?? tasks));
    expect(worker.filter((pair) => /^(scheduler|iam):/.test(pair))).toEqual(
      [
        ...pairs(stack, ['scheduler:CreateSchedule'], [groupOf(template).schedules]),
        ...pairs(stack, ['iam:PassRole'], [tasks.longEtas?.role.roleArn]),
      ].sort(),
    );
    expect(environmentOf(template, logicalIdOf(tasks.workerFunction))).toMatchObject({
      [ENV.SCHEDULE_GROUP]: groupOf(template).name,
      [ENV.SCHEDULER_ROLE_ARNS]: JSON.stringify({ celery: rendered(stack, tasks.longEtas?.role.roleArn) }),
    });
  });

  it('refuses longEtas on a FIFO queue, saying why', () => {
    const stack = newStack();
    expect(() =>
      queue(stack, 'Orders', new ResultStore(stack, 'Results'), { celeryQueueName: 'orders.fifo' }),
    ).toThrow(
      /TaskQueue Demo\/Orders: `longEtas` \(true\) is for standard queues: a FIFO queue's delayed message waits in its group/,
    );
  });
});
