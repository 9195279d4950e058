/**
 * The emulator's own rate for the calls a celeriac worker makes per task, made directly with the SDK and no
 * celeriac code: receive (asking for as many messages as there are free slots, at most 10), a conditional
 * PutItem that claims the new task id, an UpdateItem that stores the result, and DeleteMessageBatch in tens
 * (a partial batch after 200 ms).
 * The messages are not decoded and no task runs; the items have celeriac's key form and a result of the same
 * size, and the calls carry celeriac's conditions, so the emulator does the same work.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** What {@link rawDrain} needs. */
export interface RawDrainOptions {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly queueUrl: string;
  readonly tableName: string;
  /** Messages to process before stopping. */
  readonly messages: number;
  /** Messages processed at once. */
  readonly concurrency: number;
  /** The stored result, as celeriac would store it (only its size matters). */
  readonly resultBytes: Uint8Array;
}

/**
 * Drains `messages` messages with raw SDK calls; resolves with the milliseconds from the first receive until
 * the last result was stored (the last partial delete batch is sent after that, as a worker flushes on stop).
 */
export async function rawDrain(options: RawDrainOptions): Promise<number> {
  const { sqs, dynamodb, queueUrl, tableName, concurrency } = options;
  const inFlight = new Set<Promise<void>>();
  const deletes: string[] = [];
  const deleting: Promise<unknown>[] = [];
  let done = 0;
  let received = 0;
  let flushTimer: NodeJS.Timeout | undefined;

  // As a celeriac worker does: a full batch goes at once, a partial one after 200 ms.
  const flush = (): void => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    while (deletes.length > 0) {
      const handles = deletes.splice(0, 10);
      deleting.push(
        sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: handles.map((handle, i) => ({ Id: String(i), ReceiptHandle: handle })),
          }),
        ),
      );
    }
  };

  const processMessage = async (messageId: string, receiptHandle: string): Promise<void> => {
    const key: Record<string, AttributeValue> = { id: { S: `b'celery-task-meta-${messageId}'` } };
    const nowMs = Date.now();
    // The claim of a task id nothing is stored for yet: one conditional PutItem of the whole item.
    await dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          ...key,
          result: { B: options.resultBytes },
          timestamp: { N: String(nowMs / 1000) },
          task_state: { S: 'PENDING' },
          task_attempt: { N: '0' },
          lease_owner: { S: `raw:${messageId}` },
          lease_expires_at: { N: String(nowMs + 60_000) },
        },
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    );
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression:
          'SET task_state = :state, task_attempt = :attempt, #result = :result, #timestamp = :ts ' +
          'REMOVE lease_owner, lease_expires_at',
        ConditionExpression: 'attribute_not_exists(task_state) OR task_state <> :success',
        ExpressionAttributeNames: { '#result': 'result', '#timestamp': 'timestamp' },
        ExpressionAttributeValues: {
          ':state': { S: 'SUCCESS' },
          ':success': { S: 'SUCCESS' },
          ':attempt': { N: '0' },
          ':result': { B: options.resultBytes },
          ':ts': { N: String(Date.now() / 1000) },
        },
      }),
    );
    done++;
    deletes.push(receiptHandle);
    if (deletes.length >= 10) flush();
    else flushTimer ??= setTimeout(flush, 200);
  };

  const started = performance.now();
  while (received < options.messages) {
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, concurrency - inFlight.size),
        WaitTimeSeconds: 1,
        VisibilityTimeout: 60,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId'],
        MessageAttributeNames: ['All'],
      }),
    );
    for (const message of Messages) {
      received++;
      const running: Promise<void> = processMessage(
        message.MessageId ?? '',
        message.ReceiptHandle ?? '',
      ).finally(() => inFlight.delete(running));
      inFlight.add(running);
    }
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - started;
  flush();
  await Promise.all(deleting);
  if (done !== options.messages)
    throw new Error(`raw drain processed ${done} of ${options.messages} messages`);
  return elapsedMs;
}
