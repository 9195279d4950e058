import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import {
  atExpression,
  EventBridgeEtaScheduler,
  queueArnOf,
  scheduleName,
} from '../../../src/aws/eventbridge-eta-scheduler.js';
import { BackendError } from '../../../src/errors.js';
import { serviceError } from './sdk-errors.js';

const role = 'arn:aws:iam::123456789012:role/celeriac-scheduler';
const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/celery';
const request = {
  taskId: '0b0c5b8e-6f4c-4c1e-9a51-5d1f3d0f2f4a',
  retries: 2,
  queue: 'celery',
  queueUrl,
  body: 'eyJib2R5IjogIi4uLiJ9',
  deliverAt: new Date('2030-01-02T03:04:05.250Z'),
};

/** A client whose `send` records each command's input and answers with `answer`. */
function stubClient(answer: () => unknown): { client: SchedulerClient; inputs: unknown[] } {
  const inputs: unknown[] = [];
  const client = {
    config: { region: async () => 'eu-west-1' },
    send: async (command: { input: unknown }) => {
      inputs.push(command.input);
      return answer();
    },
  };
  // A stub for the two members the adapter uses, not a whole client.
  return { client: client as unknown as SchedulerClient, inputs };
}

describe('scheduleName', () => {
  it('names a schedule after the task id and retry count, within the 64 characters a name may have', () => {
    expect(scheduleName(request.taskId, 0)).toBe(`celeriac-${request.taskId}-r0`);
    expect(scheduleName(request.taskId, 1)).not.toBe(scheduleName(request.taskId, 0));
  });

  it('hashes a task id too long or with characters a name cannot have, the same way every time', () => {
    for (const id of ['x'.repeat(100), 'order:42/ship', 'ünïcode']) {
      const name = scheduleName(id, 3);
      expect(name).toMatch(/^celeriac-h-[0-9a-f]{40}-r3$/);
      expect(name.length).toBeLessThanOrEqual(64);
      expect(scheduleName(id, 3)).toBe(name);
    }
    expect(scheduleName('order:1', 0)).not.toBe(scheduleName('order:2', 0));
  });
});

describe('atExpression and queueArnOf', () => {
  it('writes the time in UTC to the second, rounded up so a schedule never fires early', () => {
    expect(atExpression(request.deliverAt)).toBe('at(2030-01-02T03:04:06)');
    expect(atExpression(new Date('2030-01-02T03:04:05.000Z'))).toBe('at(2030-01-02T03:04:05)');
  });

  it.each([
    [queueUrl, 'us-east-1', 'arn:aws:sqs:eu-west-1:123456789012:celery'],
    [
      'https://us-west-2.queue.amazonaws.com/123456789012/q',
      undefined,
      'arn:aws:sqs:us-west-2:123456789012:q',
    ],
    [
      'https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q.fifo',
      undefined,
      'arn:aws-cn:sqs:cn-north-1:123456789012:q.fifo',
    ],
    // A FIPS or dual-stack host names its region too, whatever the configured one.
    [
      'https://sqs-fips.us-gov-west-1.amazonaws.com/123456789012/q',
      'us-east-1',
      'arn:aws-us-gov:sqs:us-gov-west-1:123456789012:q',
    ],
    [
      'https://sqs.eu-central-1.api.aws/123456789012/q',
      'us-east-1',
      'arn:aws:sqs:eu-central-1:123456789012:q',
    ],
    ['http://localhost:4566/000000000000/celery', 'us-east-1', 'arn:aws:sqs:us-east-1:000000000000:celery'],
  ])('derives the ARN of %s', (url, region, arn) => {
    expect(queueArnOf(url, region)).toBe(arn);
  });

  it('refuses a URL without an account id and name, saying what it expected', () => {
    expect(() => queueArnOf('http://localhost:4566/celery', 'us-east-1')).toThrow(
      /Cannot tell the ARN of queue .*<account id>\/<name>/,
    );
  });
});

describe('EventBridgeEtaScheduler', () => {
  it('creates a one-time UTC schedule, deleted after it fires, targeting the queue with the body as input', async () => {
    const { client, inputs } = stubClient(() => ({ ScheduleArn: 'arn:...' }));
    const scheduler = new EventBridgeEtaScheduler({ client, roleArn: role, groupName: 'tasks' });
    expect(await scheduler.schedule(request)).toEqual({
      scheduleName: scheduleName(request.taskId, 2),
      created: true,
    });
    expect(inputs).toEqual([
      expect.objectContaining({
        Name: scheduleName(request.taskId, 2),
        GroupName: 'tasks',
        ScheduleExpression: 'at(2030-01-02T03:04:06)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: { Arn: 'arn:aws:sqs:eu-west-1:123456789012:celery', RoleArn: role, Input: request.body },
      }),
    ]);
  });

  it('passes a FIFO message group on, and picks the role of the queue when it has one', async () => {
    const { client, inputs } = stubClient(() => ({}));
    const scheduler = new EventBridgeEtaScheduler({
      client,
      roleArn: role,
      roleArns: { jobs: `${role}-jobs` },
    });
    await scheduler.schedule({ ...request, queue: 'jobs', messageGroupId: 'g1' });
    expect(inputs[0]).toMatchObject({
      GroupName: 'default',
      Target: { RoleArn: `${role}-jobs`, SqsParameters: { MessageGroupId: 'g1' } },
    });
  });

  it('accepts only queues it has a role for', () => {
    const { client } = stubClient(() => ({}));
    const perQueue = new EventBridgeEtaScheduler({ client, roleArns: { jobs: role } });
    expect([perQueue.accepts('jobs'), perQueue.accepts('celery')]).toEqual([true, false]);
    expect(new EventBridgeEtaScheduler({ client, roleArn: role }).accepts('celery')).toBe(true);
  });

  it('reads a ConflictException as the same message scheduled before, and creates nothing', async () => {
    const { client } = stubClient(() => {
      throw serviceError('ConflictException', 409);
    });
    const scheduler = new EventBridgeEtaScheduler({ client, roleArn: role });
    expect(await scheduler.schedule(request)).toEqual({
      scheduleName: scheduleName(request.taskId, 2),
      created: false,
    });
  });

  it('classifies throttling as retryable and a refused PassRole as permanent, with the fix', async () => {
    const throttled = new EventBridgeEtaScheduler({
      client: stubClient(() => {
        throw serviceError('ThrottlingException', 429);
      }).client,
      roleArn: role,
    });
    const error = await throttled.schedule(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({
      retryable: true,
      message: expect.stringContaining('CreateSchedule(default/'),
    });

    const denied = new EventBridgeEtaScheduler({
      client: stubClient(() => {
        throw serviceError('AccessDeniedException', 403);
      }).client,
      roleArn: role,
    });
    await expect(denied.schedule(request)).rejects.toMatchObject({
      name: 'BackendError',
      retryable: false,
      message: expect.stringContaining('iam:PassRole on the delivery role'),
    });
  });

  it('refuses a queue without a role, naming the settings, before any request', async () => {
    const { client, inputs } = stubClient(() => ({}));
    const scheduler = new EventBridgeEtaScheduler({ client, roleArns: { jobs: role } });
    await expect(scheduler.schedule(request)).rejects.toThrow(
      /no delivery role for queue 'celery'.*longEta\.roleArn/,
    );
    expect(inputs).toEqual([]);
  });
});
