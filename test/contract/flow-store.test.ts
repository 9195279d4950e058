import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll } from 'vitest';
import { DynamoDbFlowStore, ensureResultTable } from '../../src/aws/index.js';
import { LocalFlowStore } from '../../src/flow/local-flow-store.js';
import { uniqueName } from '../emulator/unique-name.js';
import { describeFlowStoreContract } from './flow-store.contract.js';

const shared = new LocalFlowStore();
describeFlowStoreContract('process-local', () => shared);

const table = uniqueName('flow-contract');
const ddb = new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL });
beforeAll(async () => {
  await ensureResultTable(ddb, table);
});
describeFlowStoreContract('DynamoDB (moto server)', () => new DynamoDbFlowStore(ddb, { tableName: table }));
