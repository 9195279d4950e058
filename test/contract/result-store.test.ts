import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll } from 'vitest';
import { DynamoDbResultStore, ensureResultTable } from '../../src/aws/index.js';
import { MemoryResultStore } from '../../src/memory/memory-result-store.js';
import { uniqueName } from '../emulator/unique-name.js';
import { describeResultStoreContract } from './result-store.contract.js';

describeResultStoreContract('memory', () => new MemoryResultStore(() => 1_800_000_000_000));

const table = uniqueName('results');
const ddb = new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL });
beforeAll(async () => {
  await ensureResultTable(ddb, table);
});
describeResultStoreContract(
  'DynamoDB (moto server)',
  () => new DynamoDbResultStore(ddb, { tableName: table }),
);
