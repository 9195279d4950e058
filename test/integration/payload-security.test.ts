/**
 * The payload bucket's guards on the emulator, with real S3, SQS and DynamoDB: a message that is an S3 pointer to
 * another bucket, or to a key of the payload bucket outside its prefix, is refused without a read and nothing
 * runs, and it reaches the dead-letter queue; a result whose claim points outside is refused by
 * `AsyncResult.get()`; a payload or result object over `maxPayloadBytes` is refused, naming its size and the
 * limit.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { claimMeta, encodeS3Pointer } from '../../src/protocol/payload-pointer.js';
import { buildResultMeta, encodeResultMeta } from '../../src/protocol/result-meta.js';
import { SecurityReason } from '../../src/protocol/security-error.js';
import { uniqueName } from '../emulator/unique-name.js';
import { pollOnce } from '../helpers/event-source-mapping.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const s3 = new S3Client({ endpoint, forcePathStyle: true });
const table = uniqueName('payload-security');
const bucket = uniqueName('payloads');
const otherBucket = uniqueName('other');
const MAX = 10_000;

/** A task message Python or celeriac would offload: its JSON, for an object the attacker put in place. */
const MESSAGE = JSON.stringify({ body: 'W1tdLCB7fSwge31d', headers: { task: 'tasks.steal', id: 'stolen' } });

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), table);
  for (const name of [bucket, otherBucket]) await s3.send(new CreateBucketCommand({ Bucket: name }));
  // Objects a pointer could hope to reach: in another bucket, and outside the prefix of the payload bucket.
  await s3.send(new PutObjectCommand({ Bucket: otherBucket, Key: 'celeriac/t/message.json', Body: MESSAGE }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'private/message.json', Body: MESSAGE }));
});

function newApp(queueUrl?: string) {
  const app = createApp({
    resultTable: table,
    payloadBucket: bucket,
    maxPayloadBytes: MAX,
    ...(queueUrl ? { queueUrls: { celery: queueUrl } } : {}),
    env: { AWS_ENDPOINT_URL: endpoint },
  });
  let runs = 0;
  app.task('tasks.steal', () => {
    runs += 1;
  });
  return { app, runs: () => runs };
}

describe('a message pointing outside the payload bucket and prefix', () => {
  for (const [what, location] of [
    ['another bucket', { s3BucketName: otherBucket, s3Key: 'celeriac/t/message.json' }],
    [
      'a key of the payload bucket outside its prefix',
      { s3BucketName: bucket, s3Key: 'private/message.json' },
    ],
  ] as const) {
    it(`is refused when it points to ${what}: nothing runs, and it reaches the dead-letter queue`, async () => {
      const { queueUrl, deadLetterUrl } = await createQueueWithDeadLetter(sqs, uniqueName('foreign'), {
        maxReceiveCount: 1,
      });
      const { app, runs } = newApp(queueUrl);
      const logged: string[] = [];
      const handler = createSqsHandler(app, { log: (line) => logged.push(line) });
      const body = encodeS3Pointer(location);
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
      const first = await pollOnce(sqs, queueUrl, handler, {
        waitTimeSeconds: 1,
        visibilityTimeoutSeconds: 0,
      });
      expect(first.response?.batchItemFailures).toEqual([{ itemIdentifier: first.records[0]?.messageId }]);
      await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 1, visibilityTimeoutSeconds: 0 });
      expect(runs()).toBe(0);
      expect(logged.join('\n')).toMatch(/points outside the payload bucket and prefix/);
      expect(await app.asyncResult('stolen').state()).toBe('PENDING');
      const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: deadLetterUrl, WaitTimeSeconds: 1 }));
      expect(dead.Messages?.map((m) => m.Body)).toEqual([body]);
    });
  }
});

describe('a stored result whose claim points outside the payload bucket', () => {
  it('is refused by AsyncResult.get with reason foreign-payload', async () => {
    const { app } = newApp();
    const taskId = uniqueName('claim');
    await app.runtime.results.put(
      taskId,
      claimMeta(buildResultMeta({ taskId, status: 'SUCCESS', result: null, dateDone: new Date() }), {
        s3BucketName: otherBucket,
        s3Key: 'celeriac/t/message.json',
        size: MESSAGE.length,
      }),
      { nowMs: Date.now() },
    );
    await expect(app.asyncResult(taskId).get({ timeoutMs: 5000 })).rejects.toMatchObject({
      name: 'SecurityError',
      reason: SecurityReason.FOREIGN_PAYLOAD,
    });
  });
});

describe('reads of payloads and results are bounded by maxPayloadBytes', () => {
  it('refuses a result object over the limit, naming its size and the limit', async () => {
    const { app } = newApp();
    const taskId = uniqueName('big-result');
    const key = `celeriac/${taskId}/result-success.json`;
    const meta = buildResultMeta({
      taskId,
      status: 'SUCCESS',
      result: 'x'.repeat(MAX),
      dateDone: new Date(),
    });
    const bytes = Buffer.from(encodeResultMeta(meta));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    await app.runtime.results.put(
      taskId,
      claimMeta(meta, { s3BucketName: bucket, s3Key: key, size: bytes.length }),
      { nowMs: Date.now() },
    );
    await expect(app.asyncResult(taskId).get({ timeoutMs: 5000 })).rejects.toMatchObject({
      name: 'PayloadTooLargeError',
      limitBytes: MAX,
    });
  });

  it('refuses a message object over the limit before anything runs', async () => {
    const { queueUrl } = await createQueueWithDeadLetter(sqs, uniqueName('big-message'));
    const { app, runs } = newApp(queueUrl);
    const key = `celeriac/${uniqueName('t')}/message.json`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x'.repeat(MAX + 1) }));
    const logged: string[] = [];
    const handler = createSqsHandler(app, { log: (line) => logged.push(line) });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: encodeS3Pointer({ s3BucketName: bucket, s3Key: key }),
      }),
    );
    const poll = await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 1 });
    expect(poll.response?.batchItemFailures).toHaveLength(1);
    expect(runs()).toBe(0);
    expect(logged.join('\n')).toMatch(new RegExp(`${MAX + 1} bytes, over the limit of ${MAX} bytes`));
  });
});
