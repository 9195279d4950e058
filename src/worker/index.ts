/** The execution core shared by the Lambda handler and `celeriac worker`. */
export { type ExecutionContext, executeMessage, IGNORED_RESULT_TTL_SECONDS } from './execute-message.js';
export { formatOutcome } from './format-outcome.js';
export type { InboundMessage, MessageAction, MessageOutcome } from './message-outcome.js';
export { type RunningWorker, runWorker, type WorkerOptions } from './run-worker.js';
export { type WorkerIdentity, workerIdentity } from './worker-identity.js';
