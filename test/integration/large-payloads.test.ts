/**
 * Arguments and results of any size through S3, on the emulator, on both hosts (the Lambda handler fed like the
 * event source mapping, and `celeriac worker`), and a pointer that AWS's own Extended Client reads.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { buildResultMeta, encodeResultMeta } from '../../src/protocol/result-meta.js';
import { uniqueName } from '../emulator/unique-name.js';
import { createPayloadApp } from '../fixtures/payload-app.js';
import { startCli } from '../helpers/cli-process.js';
import { drain } from '../helpers/event-source-mapping.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import { runPython } from '../interop/helpers/python-celery.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const s3 = new S3Client({ endpoint, forcePathStyle: true });
const table = uniqueName('payload-results');
const bucket = uniqueName('payloads');
const FIVE_MB = 5 * 1024 * 1024;
const RESULT_THRESHOLD = 262_144;

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), table);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

async function objectsUnder(prefix: string): Promise<string[]> {
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return Contents.map((o) => o.Key ?? '');
}

/** Size of the SUCCESS meta a `tasks.make(size)` result produces, so a test can aim at the threshold exactly. */
function makeResultPadding(targetBytes: number): number {
  const base = encodeResultMeta(
    buildResultMeta({
      taskId: '00000000-0000-4000-8000-000000000000',
      status: 'SUCCESS',
      result: '',
      dateDone: new Date(),
    }),
  );
  return targetBytes - Buffer.byteLength(base);
}

async function setup(threshold?: number) {
  const { queueUrl } = await createQueueWithDeadLetter(sqs, uniqueName('payload'));
  const env = {
    CELERIAC_QUEUE_URLS: JSON.stringify({ celery: queueUrl }),
    CELERIAC_RESULT_TABLE: table,
    CELERIAC_PAYLOAD_BUCKET: bucket,
    ...(threshold === undefined ? {} : { TEST_PAYLOAD_THRESHOLD_BYTES: String(threshold) }),
  };
  const client = createApp({
    env: { ...env, AWS_ENDPOINT_URL: endpoint },
    ...(threshold === undefined ? {} : { payloadThresholdBytes: threshold }),
  });
  return { queueUrl, env, client };
}

type Host = (env: Record<string, string>, queueUrl: string) => Promise<void>;

/** The Lambda handler, loaded from the same app module the CLI loads, driven like the event source mapping. */
const lambdaHost: Host = async (env, queueUrl) => {
  const app = createPayloadApp({ ...env, AWS_ENDPOINT_URL: endpoint });
  await drain(sqs, queueUrl, createSqsHandler(app, { log: () => undefined }));
};

/** `celeriac worker` as a real process. */
const cliHost: Host = async (env) => {
  const worker = startCli(['worker', '--app', 'test/fixtures/payload-app.ts', '--wait-time', '1'], env);
  try {
    await worker.waitFor(/consuming celery/);
    await new Promise((resolve) => setTimeout(resolve, 4000));
  } finally {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
};

describe.each([
  ['Lambda handler', lambdaHost],
  ['celeriac worker', cliHost],
])('large payloads on %s', (_name, host) => {
  it('round-trips a 5 MB argument and a 5 MB result through S3, and forget() removes them', async () => {
    const { queueUrl, env, client } = await setup();
    const big = 'ab'.repeat(FIVE_MB / 2);
    const shout = await client.sendTask<string>('tasks.shout', [big]);
    expect(await objectsUnder(`celeriac/${shout.id}/message-`)).toHaveLength(1);
    await host(env, queueUrl);
    const value = await shout.get({ timeoutMs: 30_000 });
    expect(value).toHaveLength(FIVE_MB + 1 + String(FIVE_MB).length);
    expect(value.endsWith(`:${FIVE_MB}`)).toBe(true);
    expect(await objectsUnder(`celeriac/${shout.id}/result-`)).toHaveLength(1);
    await shout.forget();
    expect(await objectsUnder(`celeriac/${shout.id}/`)).toEqual([]);
    expect(await shout.state()).toBe('PENDING');
  });

  it('keeps a result of exactly the threshold in DynamoDB and moves one byte more to S3', async () => {
    const { queueUrl, env, client } = await setup();
    const pad = makeResultPadding(RESULT_THRESHOLD);
    const [exact, over, under] = await client.sendTasks<string>([
      { name: 'tasks.make', args: [pad] },
      { name: 'tasks.make', args: [pad + 1] },
      { name: 'tasks.make', args: [pad - 1] },
    ]);
    await host(env, queueUrl);
    for (const [result, size] of [
      [exact, pad],
      [over, pad + 1],
      [under, pad - 1],
    ] as const) {
      expect(await result?.get({ timeoutMs: 20_000 })).toHaveLength(size);
    }
    expect(await objectsUnder(`celeriac/${exact?.id}/`)).toEqual([]);
    expect(await objectsUnder(`celeriac/${under?.id}/`)).toEqual([]);
    expect(await objectsUnder(`celeriac/${over?.id}/`)).toEqual([`celeriac/${over?.id}/result-success.json`]);
  });

  it('sends a message of exactly the threshold inline and one byte over through S3', async () => {
    // Double base64 makes MessageBody sizes multiples of 4, so the test fixes the message and moves the
    // threshold around it: threshold = size (inline), threshold = size - 1 (one byte over: S3), size + 1 (inline).
    const probe = await setup();
    const sent = await probe.client.sendTask('tasks.shout', ['p'.repeat(10_000)]);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: probe.queueUrl, WaitTimeSeconds: 1 }),
    );
    const size = Buffer.byteLength(Messages[0]?.Body ?? '');
    expect(size).toBeGreaterThan(10_000);
    expect(sent.id).toBeTruthy();
    for (const [threshold, offloaded] of [
      [size, false],
      [size - 1, true],
      [size + 1, false],
    ] as const) {
      const { queueUrl, env, client } = await setup(threshold);
      const result = await client.sendTask<string>(
        'tasks.shout',
        ['p'.repeat(10_000)],
        {},
        { taskId: sent.id.replace(/^.{8}/, uniqueName('t').slice(2, 10)) },
      );
      expect(await objectsUnder(`celeriac/${result.id}/message-`)).toHaveLength(offloaded ? 1 : 0);
      await host(env, queueUrl);
      expect(await result.get({ timeoutMs: 20_000 })).toBe(`${'p'.repeat(10_000)}:10000`);
    }
  });
});

describe("an offloaded message read by AWS's SQS Extended Client for Python", () => {
  it('yields the original kombu envelope with the task in it', async () => {
    const { queueUrl, client } = await setup();
    const result = await client.sendTask('tasks.shout', ['q'.repeat(400_000)]);
    const read = await runPython<{
      size: string;
      pointerClass: string;
      task: string;
      id: string;
      args0Length: number;
    }>(
      [
        'import base64, json, os, boto3',
        'endpoint = os.environ["AWS_ENDPOINT_URL"]',
        `queue = ${JSON.stringify(queueUrl)}`,
        // First the raw message, as any SQS consumer sees it: the pointer body and the size attribute.
        'plain = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")',
        'raw = plain.receive_message(QueueUrl=queue, MessageAttributeNames=["All"], WaitTimeSeconds=2)["Messages"][0]',
        'plain.change_message_visibility(QueueUrl=queue, ReceiptHandle=raw["ReceiptHandle"], VisibilityTimeout=0)',
        // Then AWS's Extended Client (imported only now: importing it extends boto3's SQS clients), which follows
        // the pointer to S3 and returns the original body.
        'from sqs_extended_client import SQSExtendedClientSession',
        'session = SQSExtendedClientSession(region_name="us-east-1")',
        'sqs = session.client("sqs", endpoint_url=endpoint)',
        `sqs.large_payload_support = ${JSON.stringify(bucket)}`,
        'sqs.s3_client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")',
        'm = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"], WaitTimeSeconds=2)["Messages"][0]',
        'envelope = json.loads(base64.b64decode(m["Body"]))',
        'body = json.loads(base64.b64decode(envelope["body"]))',
        'print(json.dumps({"size": raw["MessageAttributes"]["ExtendedPayloadSize"]["StringValue"], "pointerClass": json.loads(raw["Body"])[0], "task": envelope["headers"]["task"], "id": envelope["headers"]["id"], "args0Length": len(body[0][0])}))',
      ].join('\n'),
    );
    expect(read).toMatchObject({
      pointerClass: 'software.amazon.payloadoffloading.PayloadS3Pointer',
      task: 'tasks.shout',
      id: result.id,
      args0Length: 400_000,
    });
    expect(Number(read.size)).toBeGreaterThan(400_000 * (4 / 3) * (4 / 3));
  });
});
