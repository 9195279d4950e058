/**
 * Task metrics as CloudWatch Embedded Metric Format (EMF): JSON log lines that CloudWatch Logs turns into metrics,
 * with no API call. The Lambda handler writes one document per task name per batch, under the namespace
 * `celeriac` (`events.metricsNamespace`) with the dimension `task` and, when the Celery queue is known, also
 * with the dimension `queue` alone (the queue's totals over its task names):
 *
 * | metric | unit | value |
 * |---|---|---|
 * | `Tasks` | Count | tasks that ran or were refused for good (SUCCESS, FAILURE, RETRY, REVOKED, IGNORED, REJECTED) |
 * | `Failures` | Count | of them, FAILURE |
 * | `Retries` | Count | of them, RETRY |
 * | `Duration` | Milliseconds | each run's time in the task function |
 * | `QueueWait` | Milliseconds | from the message's send (SQS `SentTimestamp`) to the start of its processing |
 */
import { TASK_OUTCOME_STATES } from '../protocol/states.js';

/** The `task` dimension value of messages naming a task the worker does not have. */
export const UNREGISTERED_TASK = '(unregistered)';

/** One task's part in a batch's metrics. */
export interface TaskMeasurement {
  readonly taskName: string;
  /** The Celery queue the task came from; adds the dimension set `queue`. */
  readonly queueName?: string | undefined;
  readonly state: string;
  readonly runtimeMs?: number | undefined;
  readonly queueWaitMs?: number | undefined;
}

/** EMF allows at most 100 values per metric in one document. */
const MAX_VALUES = 100;

interface Totals {
  task: string;
  queue: string | undefined;
  tasks: number;
  failures: number;
  retries: number;
  duration: number[];
  queueWait: number[];
}

/** Collects a batch's measurements and renders them as EMF documents. */
export class EmfBatch {
  readonly #byTask = new Map<string, Totals>();

  add(measurement: TaskMeasurement): void {
    if (!TASK_OUTCOME_STATES.has(measurement.state)) return;
    const key = JSON.stringify([measurement.queueName ?? null, measurement.taskName]);
    const totals = this.#byTask.get(key) ?? {
      task: measurement.taskName,
      queue: measurement.queueName,
      tasks: 0,
      failures: 0,
      retries: 0,
      duration: [],
      queueWait: [],
    };
    totals.tasks += 1;
    if (measurement.state === 'FAILURE') totals.failures += 1;
    if (measurement.state === 'RETRY') totals.retries += 1;
    if (measurement.runtimeMs !== undefined) totals.duration.push(Math.round(measurement.runtimeMs));
    if (measurement.queueWaitMs !== undefined && measurement.queueWaitMs >= 0) {
      totals.queueWait.push(Math.round(measurement.queueWaitMs));
    }
    this.#byTask.set(key, totals);
  }

  /** One EMF document per queue and task name (more when a metric has over 100 values), as JSON lines. */
  render(namespace: string, nowMs: number): string[] {
    const lines: string[] = [];
    for (const totals of this.#byTask.values()) {
      const { task, queue } = totals;
      const dimensions = queue === undefined ? [['task']] : [['task'], ['queue']];
      const chunks = Math.max(
        1,
        Math.ceil(Math.max(totals.duration.length, totals.queueWait.length) / MAX_VALUES),
      );
      for (let chunk = 0; chunk < chunks; chunk++) {
        const duration = totals.duration.slice(chunk * MAX_VALUES, (chunk + 1) * MAX_VALUES);
        const queueWait = totals.queueWait.slice(chunk * MAX_VALUES, (chunk + 1) * MAX_VALUES);
        const counts = chunk === 0;
        const metrics = [
          ...(counts
            ? [
                { Name: 'Tasks', Unit: 'Count' },
                { Name: 'Failures', Unit: 'Count' },
                { Name: 'Retries', Unit: 'Count' },
              ]
            : []),
          ...(duration.length > 0 ? [{ Name: 'Duration', Unit: 'Milliseconds' }] : []),
          ...(queueWait.length > 0 ? [{ Name: 'QueueWait', Unit: 'Milliseconds' }] : []),
        ];
        if (metrics.length === 0) continue;
        lines.push(
          JSON.stringify({
            _aws: {
              Timestamp: nowMs,
              CloudWatchMetrics: [{ Namespace: namespace, Dimensions: dimensions, Metrics: metrics }],
            },
            task,
            ...(queue === undefined ? {} : { queue }),
            ...(counts ? { Tasks: totals.tasks, Failures: totals.failures, Retries: totals.retries } : {}),
            ...(duration.length > 0 ? { Duration: duration } : {}),
            ...(queueWait.length > 0 ? { QueueWait: queueWait } : {}),
          }),
        );
      }
    }
    return lines;
  }
}
