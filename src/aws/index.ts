/** The AWS adapters: SQS broker, DynamoDB result store (Celery's item format), S3 payload store, their SDK clients. */
export { backendError } from './aws-error.js';
export { celeryTaskKey } from './celery-keys.js';
export { AwsErrorClass, classifyAwsError, isRetryableAwsError } from './classify-aws-error.js';
export {
  type AwsClientOptions,
  type AwsClients,
  createAwsClients,
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from './clients.js';
export { DynamoDbFlowStore } from './dynamodb-flow-store.js';
export { DynamoDbMonitoringStore } from './dynamodb-monitoring-store.js';
export { DynamoDbResultStore, type DynamoDbResultStoreOptions } from './dynamodb-result-store.js';
export { DynamoDbTaskIndex } from './dynamodb-task-index.js';
export { ensureResultTable } from './ensure-result-table.js';
export { EventBridgeEventBus, type EventBridgeEventBusOptions } from './eventbridge-event-bus.js';
export { loadSecuritySecrets, type SecuritySecretIds } from './load-security-secrets.js';
export { S3PayloadStore, type S3PayloadStoreOptions } from './s3-payload-store.js';
export { planBatches, SqsBroker, type SqsBrokerOptions } from './sqs-broker.js';
