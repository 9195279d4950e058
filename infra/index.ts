/**
 * celeriac's AWS CDK constructs (`celeriac/cdk`): the result store, task queues with their workers, and the
 * periodic tasks' schedules, with grants that give other functions the rights and environment variables
 * celeriac's client reads.
 *
 * @example
 * import { PeriodicTasks, ResultStore, TaskQueue } from 'celeriac/cdk';
 * import { app } from './tasks.js'; // the celeriac app, with its `app.periodic(...)` entries
 *
 * const results = new ResultStore(this, 'Results', { resultTtl: Duration.days(1) });
 * const tasks = new TaskQueue(this, 'Tasks', { resultStore: results, worker: { entry: 'functions/worker.ts' } });
 * new PeriodicTasks(this, 'Periodic', { schedules: app.scheduleDefinitions(), queues: [tasks] });
 * tasks.grantSendTasks(api);
 * results.grantReadResults(api);
 */
export type {
  ScheduleDefinition,
  ScheduleExpressionDefinition,
} from '../src/config/schedule-definition.js';
export type { FunctionBundlingOptions } from './constructs/bundling-options.js';
export {
  CALLER_DEFAULT_TIMEOUT,
  CallerFunction,
  type CallerFunctionProps,
} from './constructs/caller-function.js';
export { PeriodicTasks, type PeriodicTasksProps } from './constructs/periodic-tasks.js';
export type { CeleryQueue } from './constructs/periodic-tasks-rules.js';
export {
  type CapacityRange,
  type ProvisionedCapacity,
  ResultStore,
  type ResultStoreProps,
} from './constructs/result-store.js';
export type { SigningSecrets } from './constructs/signing-secrets.js';
export {
  type DeadLetterAlarmOptions,
  type PriorityQueue,
  type PriorityQueueProps,
  TaskQueue,
  type TaskQueueProps,
} from './constructs/task-queue.js';
export {
  type FailureAlarmProps,
  type OldestMessageAgeAlarmProps,
  TASK_METRICS_NAMESPACE,
  type TaskMetricName,
  type TaskMetricOptions,
} from './constructs/task-queue-metrics.js';
export { CeleriacConfigurationError } from './constructs/validation.js';
export type { WorkerEventsProps } from './constructs/worker-events.js';
export type { TaskQueueWorkerProps } from './constructs/worker-function.js';
