/**
 * celeriac's AWS CDK constructs (`celeriac/cdk`): the result store and task queues with their workers, with
 * grants that give other functions the rights and environment variables celeriac's client reads.
 *
 * @example
 * import { ResultStore, TaskQueue } from 'celeriac/cdk';
 *
 * const results = new ResultStore(this, 'Results', { resultTtl: Duration.days(1) });
 * const tasks = new TaskQueue(this, 'Tasks', { resultStore: results, worker: { entry: 'functions/worker.ts' } });
 * tasks.grantSendTasks(api);
 * results.grantReadResults(api);
 */
export { ResultStore, type ResultStoreProps } from './constructs/result-store.js';
export { type DeadLetterAlarmOptions, TaskQueue, type TaskQueueProps } from './constructs/task-queue.js';
export { CeleriacConfigurationError } from './constructs/validation.js';
export type { TaskQueueWorkerProps } from './constructs/worker-function.js';
