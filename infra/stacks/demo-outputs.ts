/**
 * Names of the demo stack's outputs, as `cdk deploy --outputs-file` writes them. Kept apart from the stack so
 * that scripts reading the outputs do not load aws-cdk-lib.
 */
export const DEMO_OUTPUTS = {
  /** URL of the SQS queue of the Celery queue `celery`. */
  queueUrl: 'QueueUrl',
  /** URL of its dead-letter queue. */
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  /** The results table. */
  tableName: 'ResultTableName',
  /** The payload bucket. */
  bucketName: 'PayloadBucketName',
  /** The Lambda worker's function name. */
  workerFunctionName: 'WorkerFunctionName',
} as const;

/** The demo stack's name in `infra/app.ts`. */
export const DEMO_STACK_NAME = 'CeleriacDemo';
