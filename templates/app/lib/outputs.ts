/**
 * Names of the stack's outputs, as `cdk deploy --outputs-file` writes them; kept apart from the stack, so tests
 * that read them do not load aws-cdk-lib.
 */
export const OUTPUTS = {
  /** The API Lambda's function name. */
  apiFunctionName: 'ApiFunctionName',
  /** The URL of the SQS queue of the Celery queue `celery`. */
  queueUrl: 'QueueUrl',
  /** The DynamoDB table of task states and results. */
  resultTableName: 'ResultTableName',
} as const;

/** The stack's name in `bin/app.ts`. */
export const STACK_NAME = '{{stackName}}';
