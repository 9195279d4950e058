/**
 * A test driver that does what Lambda's SQS event source mapping does: receive a batch, hand it to the
 * handler as an SQS event, then delete every record not listed in `batchItemFailures` (the listed ones stay
 * and come back after their visibility timeout, or when the handler changed it).
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { LambdaContextLike, SqsBatchResponse, SqsEvent, SqsRecord } from '../../src/lambda/sqs-event.js';

export type Handler = (event: SqsEvent, context: LambdaContextLike) => Promise<SqsBatchResponse>;

/** What one poll did. */
export interface PollResult {
  readonly records: SqsRecord[];
  readonly response: SqsBatchResponse | undefined;
}

export async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  if (!Attributes?.QueueArn) throw new Error(`no ARN for ${queueUrl}`);
  return Attributes.QueueArn;
}

/** Receives up to `batchSize` messages and invokes the handler once, like one ESM poll. */
export async function pollOnce(
  sqs: SQSClient,
  queueUrl: string,
  handler: Handler,
  options: {
    batchSize?: number;
    waitTimeSeconds?: number;
    remainingMs?: number;
    visibilityTimeoutSeconds?: number;
  } = {},
): Promise<PollResult> {
  const arn = await queueArn(sqs, queueUrl);
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(10, options.batchSize ?? 10),
      WaitTimeSeconds: options.waitTimeSeconds ?? 1,
      VisibilityTimeout: options.visibilityTimeoutSeconds ?? 30,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  if (Messages.length === 0) return { records: [], response: undefined };
  const records: SqsRecord[] = Messages.map((m) => ({
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: { ...(m.Attributes ?? {}) },
    messageAttributes: Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
        k,
        {
          dataType: v.DataType ?? 'String',
          ...(v.StringValue === undefined ? {} : { stringValue: v.StringValue }),
          ...(v.BinaryValue === undefined
            ? {}
            : { binaryValue: Buffer.from(v.BinaryValue).toString('base64') }),
        },
      ]),
    ),
    eventSourceARN: arn,
    awsRegion: 'us-east-1',
  }));
  const deadline = Date.now() + (options.remainingMs ?? 60_000);
  const response = await handler(
    { Records: records },
    { getRemainingTimeInMillis: () => deadline - Date.now() },
  );
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const done = records.filter((r) => !failed.has(r.messageId));
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    );
  }
  return { records, response };
}

/** Polls until the queue yields nothing for one empty poll, or `maxPolls` is reached. */
export async function drain(
  sqs: SQSClient,
  queueUrl: string,
  handler: Handler,
  maxPolls = 50,
): Promise<PollResult[]> {
  const polls: PollResult[] = [];
  for (let i = 0; i < maxPolls; i++) {
    const poll = await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 0 });
    if (poll.records.length === 0) break;
    polls.push(poll);
  }
  return polls;
}
