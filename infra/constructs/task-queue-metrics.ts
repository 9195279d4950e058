/**
 * The CloudWatch metrics of a {@link TaskQueue}'s tasks and the opt-in alarms on them. The Lambda worker writes
 * the task metrics as Embedded Metric Format when `worker.events.emfMetrics` is on (docs/monitoring.md), in the
 * namespace `celeriac`, once with the dimension `queue` (the Celery queue's totals) and once with the dimension
 * `task` (one task name's totals, on every queue that runs it).
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { describeDuration, type PropValidator } from './validation.js';

/** The namespace the worker's EMF metrics are written to (`events.metricsNamespace`'s default). */
export const TASK_METRICS_NAMESPACE = 'celeriac';

/** The task metrics the worker writes, by the method that reads them. */
export type TaskMetricName = 'Tasks' | 'Failures' | 'Retries' | 'Duration' | 'QueueWait';

/** Options of a task metric: CloudWatch's metric options, plus the task name to narrow it to. */
export interface TaskMetricOptions extends cloudwatch.MetricOptions {
  /**
   * Read the metric of this task name only (the dimension `task`), as the worker records it on every queue
   * that runs the task.
   *
   * @default - the queue's total over all its task names (the dimension `queue`)
   */
  readonly taskName?: string;
}

/** An alarm on a queue's failed tasks, made by {@link TaskQueue.addFailureAlarm}. */
export interface FailureAlarmProps {
  /**
   * Failed tasks (FAILURE states stored) within one period at which the alarm fires: a whole number, at least 1.
   *
   * @default 1
   */
  readonly threshold?: number;

  /**
   * Count the failures of this task name only.
   *
   * @default - every task of the queue
   */
  readonly taskName?: string;

  /**
   * The period over which failures are summed: whole minutes, from 1 minute to 1 day.
   *
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;

  /**
   * Consecutive periods at or over the threshold before the alarm fires: a whole number, at least 1, with
   * `evaluationPeriods × period` at most 1 day.
   *
   * @default 1
   */
  readonly evaluationPeriods?: number;

  /**
   * Actions to run when the alarm fires, e.g. `new cloudwatch_actions.SnsAction(topic)`.
   *
   * @default - none: the alarm only changes state
   */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
}

/** An alarm on the age of a queue's oldest message, made by {@link TaskQueue.addOldestMessageAgeAlarm}. */
export interface OldestMessageAgeAlarmProps {
  /**
   * Age of the oldest message at which the alarm fires: whole seconds, from 1 second to 14 days (SQS's longest
   * retention). SQS counts a message's age from its send until it is deleted, failed receives included, so set
   * it above the longest a healthy queue's messages wait.
   */
  readonly maxAge: Duration;

  /**
   * Consecutive 1-minute periods whose maximum age is at or over `maxAge` before the alarm fires: a whole
   * number from 1 to 1440 (1 day).
   *
   * @default 3
   */
  readonly evaluationPeriods?: number;

  /**
   * Actions to run when the alarm fires, e.g. `new cloudwatch_actions.SnsAction(topic)`.
   *
   * @default - none: the alarm only changes state
   */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
}

/** The statistic a task metric defaults to: sums for counts, averages for times. */
const DEFAULT_STATISTIC: Record<TaskMetricName, string> = {
  Tasks: cloudwatch.Stats.SUM,
  Failures: cloudwatch.Stats.SUM,
  Retries: cloudwatch.Stats.SUM,
  Duration: cloudwatch.Stats.AVERAGE,
  QueueWait: cloudwatch.Stats.AVERAGE,
};

/**
 * The task metric `metricName` of Celery queue `celeryQueueName`, or of `options.taskName`: 5-minute periods,
 * the sum for counts and the average for times unless `options` says otherwise.
 */
export function taskMetric(
  validate: PropValidator,
  celeryQueueName: string,
  metricName: TaskMetricName,
  options: TaskMetricOptions = {},
): cloudwatch.Metric {
  const { taskName, ...metricOptions } = options;
  if (taskName !== undefined && taskName.trim() === '') {
    validate.fail(
      `metric${metricName}.taskName`,
      JSON.stringify(taskName),
      'must be a task name (the name the task is registered under, e.g. "orders.charge"), ' +
        "or left out for the queue's total.",
    );
  }
  return new cloudwatch.Metric({
    namespace: TASK_METRICS_NAMESPACE,
    metricName,
    statistic: DEFAULT_STATISTIC[metricName],
    period: Duration.minutes(5),
    ...metricOptions,
    dimensionsMap: {
      ...(taskName === undefined ? { queue: celeryQueueName } : { task: taskName }),
      ...metricOptions.dimensionsMap,
    },
  });
}

const ONE_DAY_SECONDS = 86_400;

/** Creates the alarm (child `id` of `scope`) of {@link FailureAlarmProps} on `metric`, after checking props. */
export function failureAlarm(
  scope: Construct,
  id: string,
  validate: PropValidator,
  metric: (options: TaskMetricOptions) => cloudwatch.Metric,
  celeryQueueName: string,
  props: FailureAlarmProps,
): cloudwatch.Alarm {
  const threshold = props.threshold ?? 1;
  const period = props.period ?? Duration.minutes(5);
  const evaluationPeriods = props.evaluationPeriods ?? 1;
  validate.integerAtLeast(
    'addFailureAlarm.threshold',
    threshold,
    1,
    'the alarm fires when at least this many tasks fail in one period.',
  );
  validate.durationInRange(
    'addFailureAlarm.period',
    period,
    { min: Duration.minutes(1), max: Duration.days(1) },
    'CloudWatch evaluates alarms on periods of whole minutes, up to one day.',
  );
  if (period.toSeconds() % 60 !== 0) {
    validate.fail(
      'addFailureAlarm.period',
      describeDuration(period),
      'must be a whole number of minutes: CloudWatch evaluates alarms on periods of whole minutes.',
    );
  }
  validate.integerInRange(
    'addFailureAlarm.evaluationPeriods',
    evaluationPeriods,
    1,
    Math.max(1, Math.floor(ONE_DAY_SECONDS / period.toSeconds())),
    `evaluationPeriods × period (${period.toMinutes()} min) may span at most one day in CloudWatch.`,
  );
  const scopeText = props.taskName === undefined ? 'Tasks' : `Task '${props.taskName}'`;
  return createAlarm(scope, id, props.alarmActions, {
    alarmDescription:
      `${scopeText} of Celery queue '${celeryQueueName}' failed at least ${threshold} time(s) in ` +
      `${period.toMinutes()} minute(s).`,
    metric: metric({ period, ...(props.taskName === undefined ? {} : { taskName: props.taskName }) }),
    threshold,
    evaluationPeriods,
  });
}

/** Creates the alarm of {@link OldestMessageAgeAlarmProps} on `age`, after checking props. */
export function oldestMessageAgeAlarm(
  scope: Construct,
  id: string,
  validate: PropValidator,
  age: cloudwatch.Metric,
  celeryQueueName: string,
  props: OldestMessageAgeAlarmProps,
): cloudwatch.Alarm {
  const evaluationPeriods = props.evaluationPeriods ?? 3;
  validate.durationInRange(
    'addOldestMessageAgeAlarm.maxAge',
    props.maxAge,
    { min: Duration.seconds(1), max: Duration.days(14) },
    'SQS keeps a message at most 14 days, and reports its age in whole seconds.',
  );
  validate.integerInRange(
    'addOldestMessageAgeAlarm.evaluationPeriods',
    evaluationPeriods,
    1,
    1440,
    'the alarm looks at 1-minute periods, and CloudWatch evaluates at most one day of them.',
  );
  return createAlarm(scope, id, props.alarmActions, {
    alarmDescription:
      `The oldest message of Celery queue '${celeryQueueName}' has waited at least ` +
      `${props.maxAge.toSeconds()} s: the worker is not keeping up or not consuming.`,
    metric: age,
    threshold: props.maxAge.toSeconds(),
    evaluationPeriods,
  });
}

function createAlarm(
  scope: Construct,
  id: string,
  actions: readonly cloudwatch.IAlarmAction[] | undefined,
  props: Pick<cloudwatch.AlarmProps, 'alarmDescription' | 'metric' | 'threshold' | 'evaluationPeriods'>,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    ...props,
    datapointsToAlarm: props.evaluationPeriods,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(...(actions ?? []));
  return alarm;
}
