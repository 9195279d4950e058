/**
 * The parts of Lambda's SQS event, context and response that celeriac uses (the shapes of `@types/aws-lambda`,
 * declared here so the package has no dependency for them).
 */

/** One SQS record in a Lambda event. */
export interface SqsRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** The system attributes; a direct invocation may leave them out, and the handler then reads none. */
  readonly attributes?: {
    readonly ApproximateReceiveCount?: string;
    readonly SentTimestamp?: string;
    readonly MessageGroupId?: string;
    readonly [name: string]: string | undefined;
  };
  readonly messageAttributes: Readonly<
    Record<
      string,
      { readonly dataType: string; readonly stringValue?: string; readonly binaryValue?: string }
    >
  >;
  /** `arn:aws:sqs:<region>:<account>:<queue name>`. */
  readonly eventSourceARN: string;
  readonly awsRegion?: string;
}

/** Lambda's SQS event. */
export interface SqsEvent {
  readonly Records: readonly SqsRecord[];
}

/** The part of the Lambda context the handler reads. */
export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
  /** The invocation's request id (JSON log lines carry it as `function_request_id`). */
  readonly awsRequestId?: string;
  readonly functionName?: string;
  readonly memoryLimitInMB?: string;
}

/** Partial batch response: the records SQS must deliver again. */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}
