/** The execution core shared by the Lambda handler and `celeriac worker`, and the long-running hosts. */
export { executeMessage, IGNORED_RESULT_TTL_SECONDS } from './execute-message.js';
export type { ClaimHandle, ExecutionContext, WorkerDeps } from './execution-context.js';
export { formatOutcome, type OutcomeLineOptions } from './format-outcome.js';
export { type InboundMessage, MessageAction, type MessageOutcome, MessageState } from './message-outcome.js';
export { type CreatePoolOptions, createPool, type Pool, PoolKind } from './pool/index.js';
export type { QueueSpec, WeightedQueue } from './queue-weights.js';
export { type BeatOptions, type RunningBeat, runBeat } from './run-beat.js';
export { type RunningWorker, runWorker, type WorkerOptions } from './run-worker.js';
export { type WorkerIdentity, workerIdentity } from './worker-identity.js';
