/**
 * A long countdown sent by real Python Celery: kombu puts the message on the queue at once (its SQS transport
 * sets no delay for an ETA), and the celeriac Lambda handler that receives it hands the wait to EventBridge
 * Scheduler instead of re-delaying it every 15 minutes: one schedule whose input is the body Python sent, and
 * the received copy deleted.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateScheduleGroupCommand, GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { scheduleName } from '../../src/aws/eventbridge-eta-scheduler.js';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { decodeTaskMessage } from '../../src/protocol/task-message.js';
import { uniqueName } from '../emulator/unique-name.js';
import { defineInteropTasks } from '../fixtures/interop-app.js';
import { pollOnce } from '../helpers/event-source-mapping.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import { runPython } from './helpers/python-celery.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const scheduler = new SchedulerClient({ endpoint });
const resultTable = uniqueName('py-long-eta-results');
const group = uniqueName('py-long-eta');
const queuePrefix = `${uniqueName('py-long-eta')}-`;

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), resultTable);
  await scheduler.send(new CreateScheduleGroupCommand({ Name: group }));
});

describe('a long countdown from Python Celery', () => {
  it('becomes one schedule of the message Python sent when a celeriac worker receives it', async () => {
    const { queueUrl } = await createQueueWithDeadLetter(sqs, `${queuePrefix}celery`);
    const sent = await runPython<{ id: string }>(
      `
import json
from celeriac_fixtures.app import app
r = app.send_task("interop.add", args=(2, 3), countdown=7200)
print(json.dumps({"id": r.id}))
`,
      { queuePrefix, resultTable },
    );
    const app = createApp({
      queueUrls: { celery: queueUrl },
      resultTable,
      env: { AWS_ENDPOINT_URL: endpoint },
      longEta: { roleArn: 'arn:aws:iam::123456789012:role/celeriac-scheduler', groupName: group },
    });
    defineInteropTasks(app);
    const lines: string[] = [];
    const handler = createSqsHandler(app, { log: (line) => lines.push(line) });
    const poll = await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 1 });
    expect(poll.records).toHaveLength(1);
    expect(poll.response?.batchItemFailures).toEqual([]);
    const received = poll.records[0]?.body ?? '';

    const schedule = await scheduler.send(
      new GetScheduleCommand({ Name: scheduleName(sent.id, 0), GroupName: group }),
    );
    expect(schedule.Target?.Input).toBe(received);
    const message = decodeTaskMessage(received);
    expect(message.headers).toMatchObject({ id: sent.id, task: 'interop.add' });
    expect(message.args).toEqual([2, 3]);
    expect(lines.join('\n')).toMatch(/DELAYED.*scheduled as celeriac-/);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(
      Number(Attributes?.ApproximateNumberOfMessages) +
        Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
    ).toBe(0);
  });
});
