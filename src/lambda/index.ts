/** The Lambda entry point for SQS event source mappings. Exported as `celeriac/lambda`. */

export { type CreatePoolOptions, createPool, type Pool, PoolKind } from '../worker/pool/index.js';
export { createSqsHandler, type SqsHandlerOptions } from './create-sqs-handler.js';
export { queueFromArn } from './source-queue.js';
export type { LambdaContextLike, SqsBatchResponse, SqsEvent, SqsRecord } from './sqs-event.js';
