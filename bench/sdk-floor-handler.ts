/**
 * The cold-start baseline of `npm run bench:cold-start`: an SQS-triggered Lambda handler that does a task
 * worker's AWS calls with the raw SDK and nothing else. It creates the SQS and DynamoDB clients at init, as
 * celeriac's worker does, and per record claims the task (a conditional PutItem) and stores its result (an
 * UpdateItem). Importing its bundle is the floor that any worker on these two SDK clients pays.
 */
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({});
const dynamodb = new DynamoDBClient({});
const table = process.env.CELERIAC_RESULT_TABLE ?? 'celery';

/** Claims and completes each record's task; deletes nothing itself (the event source mapping does). */
export async function handler(event: {
  readonly Records: readonly { readonly messageId: string; readonly receiptHandle: string }[];
}): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  for (const record of event.Records) {
    const id = { S: `celery-task-meta-${record.messageId}` };
    await dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: { id, status: { S: 'STARTED' } },
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    );
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { id },
        UpdateExpression: 'SET #s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'SUCCESS' } },
      }),
    );
  }
  // Referenced so the bundle holds the command a worker that deletes its own messages would need.
  void sqs;
  void DeleteMessageBatchCommand;
  return { batchItemFailures: [] };
}
