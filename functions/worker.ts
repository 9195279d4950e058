/** The Lambda worker of the demo stack: runs the demo app's tasks from SQS batches. */
import { app } from '../examples/tasks.js';
import { createSqsHandler } from '../src/lambda/index.js';

/** The SQS event handler; returns `batchItemFailures` for the records SQS must deliver again. */
export const handler = createSqsHandler(app);
