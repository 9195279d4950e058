/**
 * Long ETAs on the emulator: a countdown past the threshold becomes an EventBridge Scheduler one-time schedule
 * whose target is the queue and whose input is the message, and nothing goes on the queue. moto stores
 * schedules but never fires them (the e2e test on MiniStack shows the firing).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateScheduleGroupCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { scheduleName } from '../../src/aws/eventbridge-eta-scheduler.js';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { decodeTaskMessage, encodeTaskMessage } from '../../src/protocol/task-message.js';
import { toTaskMessage } from '../../src/send-request.js';
import { uniqueName } from '../emulator/unique-name.js';
import { pollOnce } from '../helpers/event-source-mapping.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const scheduler = new SchedulerClient({ endpoint });
const table = uniqueName('long-eta-results');
const group = uniqueName('long-eta');
const roleArn = 'arn:aws:iam::123456789012:role/celeriac-scheduler';

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), table);
  await scheduler.send(new CreateScheduleGroupCommand({ Name: group }));
});

async function setup(groupName = group) {
  const { queueUrl } = await createQueueWithDeadLetter(sqs, uniqueName('long-eta'));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const app = createApp({
    env: {
      AWS_ENDPOINT_URL: endpoint,
      CELERIAC_QUEUE_URLS: JSON.stringify({ celery: queueUrl }),
      CELERIAC_RESULT_TABLE: table,
      CELERIAC_SCHEDULER_ROLE_ARN: roleArn,
      CELERIAC_SCHEDULE_GROUP: groupName,
    },
  });
  const add = app.task('tasks.add', (a: number, b: number) => a + b);
  const onQueue = async (): Promise<number> => {
    const { Attributes: now } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    return Number(now?.ApproximateNumberOfMessages) + Number(now?.ApproximateNumberOfMessagesDelayed);
  };
  return { app, add, queueUrl, queueArn: Attributes?.QueueArn, onQueue };
}

describe('long ETAs through EventBridge Scheduler', () => {
  it('turns a countdown of 2 hours into a one-time schedule whose target and input are the message', async () => {
    const { add, queueArn, onQueue } = await setup();
    const result = await add.applyAsync([2, 3], {}, { countdown: 7200 });

    const schedule = await scheduler.send(
      new GetScheduleCommand({ Name: scheduleName(result.id, 0), GroupName: group }),
    );
    expect(schedule.Target?.Arn).toBe(queueArn);
    expect(schedule.Target?.RoleArn).toBe(roleArn);
    expect(schedule.ActionAfterCompletion).toBe('DELETE');
    expect(schedule.FlexibleTimeWindow?.Mode).toBe('OFF');
    expect(schedule.ScheduleExpressionTimezone).toBe('UTC');
    const message = decodeTaskMessage(schedule.Target?.Input ?? '');
    expect(message.headers).toMatchObject({ id: result.id, task: 'tasks.add', retries: 0 });
    expect(message.args).toEqual([2, 3]);
    // The expression is the message's own ETA, to the second (rounded up, never early).
    const eta = Date.parse(message.headers.eta ?? '');
    const at = /^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$/.exec(schedule.ScheduleExpression ?? '')?.[1];
    expect(Date.parse(`${at}Z`)).toBe(Math.ceil(eta / 1000) * 1000);
    expect(await onQueue()).toBe(0);
  });

  it('makes one schedule for a send repeated with the same task id', async () => {
    const { app, onQueue } = await setup();
    const taskId = globalThis.crypto.randomUUID();
    await app.sendTask('tasks.add', [1, 1], {}, { countdown: 7200, taskId });
    await app.sendTask('tasks.add', [1, 1], {}, { countdown: 7200, taskId });
    const { Schedules = [] } = await scheduler.send(
      new ListSchedulesCommand({ GroupName: group, NamePrefix: scheduleName(taskId, 0) }),
    );
    expect(Schedules.map((s) => s.Name)).toEqual([scheduleName(taskId, 0)]);
    expect(await onQueue()).toBe(0);
  });

  it('sends the message to the queue with the 15-minute hop when the schedule group does not exist', async () => {
    const { app, onQueue } = await setup(uniqueName('missing-group'));
    await app.sendTask('tasks.add', [1, 1], {}, { countdown: 7200 });
    expect(await onQueue()).toBe(1);
  });

  it('lets the Lambda worker schedule a message that arrives with a far ETA (as Python Celery sends it) and delete it', async () => {
    const { app, queueUrl, onQueue } = await setup();
    // ETA only, no DelaySeconds: what a Python producer puts on the queue.
    const request = app.client.request({
      name: 'tasks.add',
      args: [4, 5],
      kwargs: {},
      options: { eta: new Date(Date.now() + 7_200_000) },
      workflow: {},
    });
    const body = encodeTaskMessage(toTaskMessage(request));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    const handler = createSqsHandler(app, { log: () => undefined });
    const poll = await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 0 });
    expect(poll.records).toHaveLength(1);
    expect(poll.response?.batchItemFailures).toEqual([]);
    const schedule = await scheduler.send(
      new GetScheduleCommand({ Name: scheduleName(request.taskId, 0), GroupName: group }),
    );
    expect(schedule.Target?.Input).toBe(body);
    expect(await onQueue()).toBe(0);
  });

  it('keeps a countdown under the threshold on the queue', async () => {
    const { add, onQueue } = await setup();
    const result = await add.applyAsync([1, 2], {}, { countdown: 1200 });
    await expect(
      scheduler.send(new GetScheduleCommand({ Name: scheduleName(result.id, 0), GroupName: group })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(await onQueue()).toBe(1);
  });
});
