/** The AWS adapters: SQS broker, DynamoDB result store (Celery's item format), and their SDK clients. */
export { backendError } from './aws-error.js';
export { type AwsClientOptions, type AwsClients, createAwsClients } from './clients.js';
export { celeryTaskKey, DynamoDbResultStore, ensureResultTable } from './dynamodb-result-store.js';
export { S3PayloadStore, type S3PayloadStoreOptions } from './s3-payload-store.js';
export { planBatches, SqsBroker } from './sqs-broker.js';
