/**
 * Table provisioning for local runs and tests. Deployments get the table from the ResultStore construct.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { awsErrorName, backendError } from './aws-error.js';

/**
 * Creates a results table in Celery's schema (partition key `id`, on-demand) with TTL on `ttl`, if missing, and
 * waits until it is ACTIVE. An emulator that has no TTL operation gets the table without it.
 *
 * @example
 * await ensureResultTable(clients.dynamodb, 'celery');
 */
export async function ensureResultTable(ddb: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (awsErrorName(error) !== 'ResourceNotFoundException')
      throw backendError('DynamoDB DescribeTable', error);
  }
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (awsErrorName(error) !== 'ResourceInUseException') throw backendError('DynamoDB CreateTable', error);
  }
  for (let waited = 0; ; waited += 500) {
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    if (waited > 120_000)
      throw backendError('DynamoDB CreateTable', new Error(`${tableName} is not ACTIVE after 2 minutes`));
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  try {
    await ddb.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' },
      }),
    );
  } catch (error) {
    // An emulator without TTL (dynalite, the benchmarks' DynamoDB) keeps expired items; nothing else changes.
    if (awsErrorName(error) !== 'UnknownOperationException')
      throw backendError('DynamoDB UpdateTimeToLive', error);
  }
}
