/** Creates a results table with the task index, as `ResultStore({ taskIndex: true })` deploys it. */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TASK_INDEX } from '../../src/config/task-index.js';

export async function createIndexedResultTable(ddb: DynamoDBClient, tableName: string): Promise<void> {
  const index = (name: string, key: string, other: string[]) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: key, KeyType: 'HASH' as const },
      { AttributeName: TASK_INDEX.SORT_KEY, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: other },
  });
  await ddb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: TASK_INDEX.STATE_KEY, AttributeType: 'S' },
        { AttributeName: TASK_INDEX.NAME_KEY, AttributeType: 'S' },
        { AttributeName: TASK_INDEX.SORT_KEY, AttributeType: 'N' },
      ],
      GlobalSecondaryIndexes: [
        index(TASK_INDEX.BY_STATE, TASK_INDEX.STATE_KEY, [TASK_INDEX.NAME_KEY, TASK_INDEX.MONITORING_BODY]),
        index(TASK_INDEX.BY_NAME, TASK_INDEX.NAME_KEY, [TASK_INDEX.STATE_KEY]),
      ],
    }),
  );
}
