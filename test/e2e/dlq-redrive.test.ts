/**
 * Dead-letter redrive on the local emulator: MiniStack has no `StartMessageMoveTask`, so `redriveDeadLetters`
 * moves the messages itself. Messages reach the dead-letter queue the way they do in AWS (received more often
 * than the source queue's `maxReceiveCount`), and must come back to their source queue with the same body and
 * attributes, none lost. One MiniStack, started with `startEmulator` on a free port, serves every case.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedriveMethod, redriveDeadLetters } from '../../src/aws/redrive-dead-letters.js';
import { type RunningEmulator, startEmulator } from '../../src/local/emulator.js';
import { uniqueName } from '../emulator/unique-name.js';
import { startCli } from '../helpers/cli-process.js';

let emulator: RunningEmulator;
let sqs: SQSClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  sqs = new SQSClient({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials: { accessKeyId: emulator.accessKeyId, secretAccessKey: emulator.secretAccessKey },
  });
});

afterAll(async () => {
  sqs?.destroy();
  await emulator?.stop();
});

async function arnOf(queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn ?? '';
}

async function count(queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** Every message now in the queue (received, so hidden for a minute). */
async function drain(queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (let empty = 0; empty < 2; ) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) empty += 1;
    all.push(...Messages);
  }
  return all;
}

/** A queue whose messages go to its dead-letter queue after one receive, and `n` messages dead-lettered. */
async function deadLettered(n: number) {
  const name = uniqueName('redrive');
  const { QueueUrl: dlqUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const { QueueUrl: queueUrl = '' } = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arnOf(dlqUrl), maxReceiveCount: 1 }),
      },
    }),
  );
  const sent = [];
  for (let i = 0; i < n; i += 1) {
    const body = JSON.stringify({ task: 'tasks.add', args: [i, i] });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        MessageAttributes: { attempt: { DataType: 'Number', StringValue: String(i) } },
      }),
    );
    sent.push({ body, attempt: String(i) });
  }
  // Each message is received once and let go (visibility 0); the next receive finds it over maxReceiveCount.
  const deadline = Date.now() + 20_000;
  while ((await count(dlqUrl)) < n && Date.now() < deadline) {
    await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
  }
  expect(await count(dlqUrl)).toBe(n);
  expect(await count(queueUrl)).toBe(0);
  return { name, queueUrl, dlqUrl, sent };
}

const summary = (messages: readonly Message[]) =>
  messages
    .map((m) => ({ body: m.Body, attempt: m.MessageAttributes?.attempt?.StringValue }))
    .sort((a, b) => Number(a.attempt) - Number(b.attempt));

describe('redriveDeadLetters on MiniStack', () => {
  it('finds no StartMessageMoveTask on the emulator, which is why messages are moved here', async () => {
    const { dlqUrl } = await deadLettered(1);
    const error = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: await arnOf(dlqUrl) })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'InvalidAction' });
  });

  it('moves every dead letter back to its source queue with the same body and attributes', async () => {
    const { name, queueUrl, dlqUrl, sent } = await deadLettered(13);
    const report = await redriveDeadLetters(sqs, { deadLetterQueue: `${name}-dlq` });
    expect(report).toMatchObject({ method: RedriveMethod.COPY, moved: 13, failed: 0, unroutable: 0 });
    expect(Object.values(report.destinations)).toEqual([13]);
    expect(await count(dlqUrl)).toBe(0);
    expect(summary(await drain(queueUrl))).toEqual(sent);
  });

  it('moves at most --max messages and leaves the rest in the dead-letter queue, visible', async () => {
    const { queueUrl, dlqUrl } = await deadLettered(5);
    const report = await redriveDeadLetters(sqs, { deadLetterQueue: dlqUrl, maxMessages: 2 });
    expect(report).toMatchObject({ moved: 2, failed: 0 });
    expect(await count(queueUrl)).toBe(2);
    expect((await drain(dlqUrl)).length).toBe(3);
  });

  it('sends to the queue named with `to`, and keeps messages with no known source in the dead-letter queue', async () => {
    const orphanQueue = uniqueName('orphans');
    const { QueueUrl: orphans = '' } = await sqs.send(new CreateQueueCommand({ QueueName: orphanQueue }));
    await sqs.send(new SendMessageCommand({ QueueUrl: orphans, MessageBody: 'no source' }));
    const unroutable = await redriveDeadLetters(sqs, { deadLetterQueue: orphans, maxMessages: 10 });
    expect(unroutable).toMatchObject({ moved: 0, unroutable: 1 });
    const [left] = await drain(orphans);
    expect(left?.Body).toBe('no source');

    const { dlqUrl, sent } = await deadLettered(3);
    const target = uniqueName('target');
    const { QueueUrl: targetUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: target }));
    const report = await redriveDeadLetters(sqs, { deadLetterQueue: dlqUrl, to: target });
    expect(report).toMatchObject({ moved: 3, destinations: { [targetUrl]: 3 } });
    expect(summary(await drain(targetUrl))).toEqual(sent);
  });

  it('celeriac dlq redrive moves them and reports the count per queue', async () => {
    const { name, queueUrl } = await deadLettered(4);
    const cli = startCli(['dlq', 'redrive', `${name}-dlq`, '--max', '3'], {
      AWS_ENDPOINT_URL: emulator.endpoint,
      AWS_REGION: emulator.region,
      AWS_ACCESS_KEY_ID: emulator.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulator.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    const { code } = await cli.exited;
    expect(cli.output()).toContain(`Moved 3 messages from `);
    expect(cli.output()).toMatch(new RegExp(`3 to \\S+/${name}\\n`));
    expect(code).toBe(0);
    expect(await count(queueUrl)).toBe(3);
  });
});
