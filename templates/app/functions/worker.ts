/** The worker Lambda: runs the tasks of `src/tasks.ts` from the SQS queue's batches. */
import { createSqsHandler } from 'celeriac/lambda';
import { app } from '../src/tasks.js';

/** Returns `batchItemFailures` for the records SQS must deliver again. */
export const handler = createSqsHandler(app);
