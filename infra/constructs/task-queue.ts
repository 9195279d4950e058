/**
 * One Celery queue on AWS: an SQS queue, its dead-letter queue, the Lambda worker that consumes it, and an
 * alarm on the dead-letter queue.
 */
import { Annotations, Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../src/config/env.js';
import { FIFO_SUFFIX } from '../../src/protocol/queue-name.js';
import { environmentTargetOf, registerQueue, reserveDefaultQueue } from './client-environment.js';
import { deadLetterAlarm } from './dead-letter-alarm.js';
import { LongEtaDelivery } from './task-queue-long-eta.js';
import {
  type FailureAlarmProps,
  failureAlarm,
  type OldestMessageAgeAlarmProps,
  oldestMessageAgeAlarm,
  type TaskMetricName,
  type TaskMetricOptions,
  taskMetric,
} from './task-queue-metrics.js';
import {
  createPriorityQueue,
  type PriorityQueue,
  priorityQueueId,
  splitConcurrency,
  validatePriorityQueues,
} from './task-queue-priorities.js';
import type { TaskQueueProps } from './task-queue-props.js';
import {
  deadLetterQueueName,
  generatedFifoQueueName,
  resolveMaxConcurrency,
  validateBatching,
  validateNames,
  validateRetention,
  validateVisibility,
  warnIfPayloadsExpireFirst,
} from './task-queue-rules.js';
import { PropValidator } from './validation.js';
import { createWorkerFunction, validateWorkerProps, WORKER_DEFAULTS } from './worker-function.js';

export type { PriorityQueue } from './task-queue-priorities.js';
export type { DeadLetterAlarmOptions, PriorityQueueProps, TaskQueueProps } from './task-queue-props.js';

const DEFAULT_CELERY_QUEUE = 'celery';
const DEFAULT_MAX_RECEIVE_COUNT = 5;
const DEFAULT_RETENTION = Duration.days(4);
const DEFAULT_DLQ_RETENTION = Duration.days(14);
const DEFAULT_BATCH_SIZE = 10;

/**
 * One Celery queue: an SQS queue (TLS-only, encrypted) with a dead-letter queue, a Lambda worker consuming it
 * through an event source mapping that reports partial batch failures, and a CloudWatch alarm on the
 * dead-letter queue.
 *
 * The worker gets `CELERIAC_QUEUE_URLS` (its own Celery queue name → queue URL, plus any queue granted to it
 * with {@link TaskQueue.grantSendTasks}), `CELERIAC_DEFAULT_QUEUE` (its own queue), the result store's
 * variables and rights (`grantWriteResults`), rights to consume the queue, and `sqs:SendMessage` on it (to
 * re-delay ETA messages and send retries).
 *
 * Props are validated in the constructor (a `CeleriacConfigurationError` names the prop, the value and the
 * fix). When a message can outlive the result store's `payloadExpiration` (the default FIFO settings do),
 * synthesis warns `@celeriac/infra:payloadExpiration`; acknowledge it with `Annotations.of(queue)
 * .acknowledgeWarning(...)` if the queue never carries large arguments.
 *
 * @example
 * const results = new ResultStore(this, 'Results');
 * const tasks = new TaskQueue(this, 'Tasks', {
 *   resultStore: results,
 *   worker: { entry: 'functions/worker.ts', timeout: Duration.minutes(2) },
 * });
 * tasks.grantSendTasks(apiFunction); // apiFunction can now `sendTask(...)` to 'celery'
 * results.grantReadResults(apiFunction);
 */
export class TaskQueue extends Construct {
  /** The Celery queue name this queue serves. */
  readonly celeryQueueName: string;
  /** Whether the queues are FIFO (the Celery name ends in `.fifo`). */
  readonly fifo: boolean;
  /** The task queue. */
  readonly queue: sqs.IQueue;
  /** Where messages go after `maxReceiveCount` receives. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The Lambda function that consumes the queue. */
  readonly workerFunction: lambda.IFunction;
  /** The alarm on the dead-letter queue. */
  readonly deadLetterAlarm: cloudwatch.IAlarm;
  /** The `priorityQueues`, in the order given, each consumed by the worker through a mapping of its own. */
  readonly priorityQueues: readonly PriorityQueue[];
  /** With `longEtas`, the role EventBridge Scheduler delivers long-ETA messages with, and their schedule group. */
  readonly longEtas: LongEtaDelivery | undefined;

  private readonly encryptionKey: kms.IKey | undefined;
  private readonly validate: PropValidator;
  private readonly emfMetrics: boolean;
  private warnedNoEmf = false;

  constructor(scope: Construct, id: string, props: TaskQueueProps) {
    super(scope, id);
    const validate = new PropValidator('TaskQueue', this);
    const celeryQueueName = props.celeryQueueName ?? DEFAULT_CELERY_QUEUE;
    const fifo = celeryQueueName.endsWith(FIFO_SUFFIX);
    validateNames(validate, celeryQueueName, props.queueName, fifo);
    validateWorkerProps(validate, props.worker);
    const priorityProps = props.priorityQueues ?? [];
    validatePriorityQueues(validate, celeryQueueName, fifo, priorityProps);
    if (props.longEtas === true && fifo) {
      validate.fail(
        'longEtas',
        'true',
        "is for standard queues: a FIFO queue's delayed message waits in its group, keeping the group's order, " +
          'which a schedule would not. Leave it unset for FIFO queues.',
      );
    }

    const timeout = props.worker.timeout ?? WORKER_DEFAULTS.timeout;
    const batchSize = props.batchSize ?? DEFAULT_BATCH_SIZE;
    validateBatching(validate, fifo, batchSize, props.maxBatchingWindow);
    const visibilityTimeout = validateVisibility(
      validate,
      props.visibilityTimeout,
      timeout,
      props.maxBatchingWindow,
    );
    validate.integerInRange(
      'maxReceiveCount',
      props.maxReceiveCount,
      1,
      1000,
      'SQS moves a message to the dead-letter queue after this many receives.',
    );
    const retentionPeriod = props.retentionPeriod ?? DEFAULT_RETENTION;
    const deadLetterRetentionPeriod = props.deadLetterRetentionPeriod ?? DEFAULT_DLQ_RETENTION;
    validateRetention(validate, fifo, retentionPeriod, deadLetterRetentionPeriod);
    const maxConcurrency = resolveMaxConcurrency(
      validate,
      props.maxConcurrency,
      props.worker.reservedConcurrentExecutions,
    );
    if (props.worker.reservedConcurrentExecutions === 1 && maxConcurrency === undefined) {
      // An SQS event source's maximum concurrency is at least 2, so nothing keeps its pollers to one invocation.
      Annotations.of(this).addWarningV2(
        '@celeriac/infra:reservedConcurrencyOne',
        'A reserved concurrency of 1 cannot cap the SQS event source (its maximum concurrency is at least 2): ' +
          "Lambda's pollers invoke more often than the reservation allows, and each throttled batch counts " +
          'towards `maxReceiveCount`, so messages can reach the dead-letter queue unrun. Reserve at least 2, or ' +
          'run one at a time with a FIFO queue and one message group.',
      );
    }
    // Priority queues first, this queue last: the order of their weights in the split.
    const concurrency =
      priorityProps.length === 0
        ? [maxConcurrency]
        : splitConcurrency(
            validate,
            [...priorityProps.map((p) => p.maxConcurrency), props.maxConcurrency],
            props.worker.reservedConcurrentExecutions,
          );
    const threshold = props.deadLetterAlarm?.threshold ?? 1;
    validate.integerAtLeast(
      'deadLetterAlarm.threshold',
      threshold,
      1,
      'the alarm fires when the dead-letter queue holds at least this many visible messages.',
    );
    warnIfPayloadsExpireFirst(this, props.resultStore, fifo, retentionPeriod, deadLetterRetentionPeriod);

    const encryption =
      props.encryptionKey === undefined
        ? { encryption: sqs.QueueEncryption.SQS_MANAGED }
        : { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey };
    const fifoProps = fifo ? { fifo: true, contentBasedDeduplication: false } : {};
    const queueName = props.queueName ?? (fifo ? generatedFifoQueueName(this) : undefined);
    const deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: queueName === undefined ? undefined : deadLetterQueueName(queueName, fifo),
      retentionPeriod: deadLetterRetentionPeriod,
      enforceSSL: true,
      ...encryption,
      ...fifoProps,
    });
    const queue = new sqs.Queue(this, 'Queue', {
      queueName,
      visibilityTimeout,
      retentionPeriod,
      deadLetterQueue: {
        queue: deadLetterQueue,
        maxReceiveCount: props.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT,
      },
      enforceSSL: true,
      ...encryption,
      ...fifoProps,
    });

    this.celeryQueueName = celeryQueueName;
    this.fifo = fifo;
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;
    this.encryptionKey = props.encryptionKey;
    this.validate = validate;
    this.emfMetrics =
      props.worker.events?.emfMetrics === true ||
      props.worker.environment?.[ENV.EMF_METRICS]?.toLowerCase() === 'true';

    const worker = createWorkerFunction(this, props.worker);
    const presetDefault = props.worker.environment?.[ENV.DEFAULT_QUEUE];
    if (presetDefault !== undefined) reserveDefaultQueue(worker, presetDefault);
    worker.addEventSource(
      new sources.SqsEventSource(queue, {
        batchSize,
        maxBatchingWindow: props.maxBatchingWindow,
        maxConcurrency: concurrency.at(-1),
        reportBatchItemFailures: true,
      }),
    );
    const shared = {
      fifo,
      visibilityTimeout,
      retentionPeriod,
      deadLetterRetentionPeriod,
      maxReceiveCount: props.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT,
      encryptionKey: props.encryptionKey,
      batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      alarmThreshold: threshold,
      alarmActions: props.deadLetterAlarm?.alarmActions,
    };
    this.priorityQueues = priorityProps.map((p, i) =>
      createPriorityQueue(this, priorityQueueId(p.celeryQueueName), p, shared, worker, concurrency[i]),
    );
    this.longEtas = props.longEtas
      ? new LongEtaDelivery(this, 'LongEtas', {
          queues: [{ celeryQueueName, queue }, ...this.priorityQueues],
          encryptionKey: props.encryptionKey,
        })
      : undefined;
    this.grantSendTasks(worker);
    props.resultStore.grantWriteResults(worker);
    this.workerFunction = worker;

    this.deadLetterAlarm = deadLetterAlarm(this, deadLetterQueue, {
      description:
        `Messages of Celery queue '${celeryQueueName}' reached its dead-letter queue after ` +
        `${props.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT} failed receives.`,
      threshold,
      ...(props.deadLetterAlarm?.alarmActions ? { actions: props.deadLetterAlarm.alarmActions } : {}),
    });
  }

  /**
   * Lets `grantee` send tasks to this queue (`sendTask`, `delay`, `applyAsync`).
   *
   * Adds exactly: `sqs:SendMessage` on the queue and each priority queue; with `encryptionKey`,
   * `kms:GenerateDataKey` and `kms:Decrypt` on the key. A `lambda.Function` grantee also gets these queues in
   * `CELERIAC_QUEUE_URLS` (one
   * JSON object shared by every TaskQueue granted to the function) and, if it has none yet,
   * `CELERIAC_DEFAULT_QUEUE` set to this queue's Celery name. With `longEtas`, also `scheduler:CreateSchedule`
   * on the long-ETA group's `celeriac-*` schedules and `iam:PassRole` on the delivery role (to
   * `scheduler.amazonaws.com` only), and `CELERIAC_SCHEDULE_GROUP` and `CELERIAC_SCHEDULER_ROLE_ARNS`.
   */
  grantSendTasks(grantee: iam.IGrantable): iam.Grant {
    return this.grantQueue(grantee, ['sqs:SendMessage'], ['kms:GenerateDataKey', 'kms:Decrypt']);
  }

  /**
   * Lets `grantee` consume this queue as a long-running worker outside Lambda (`celeriac worker`, or Python
   * Celery with `predefined_queues`).
   *
   * Adds exactly: `sqs:ReceiveMessage`, `sqs:DeleteMessage`, `sqs:ChangeMessageVisibility`,
   * `sqs:GetQueueAttributes` and `sqs:SendMessage` (for ETA re-delays and retries) on the queue and each
   * priority queue; with
   * `encryptionKey`, `kms:Decrypt` and `kms:GenerateDataKey` on the key. A `lambda.Function` grantee also
   * gets the variables {@link TaskQueue.grantSendTasks} sets; with `longEtas`, the long-ETA rights it adds.
   */
  grantConsumeTasks(grantee: iam.IGrantable): iam.Grant {
    return this.grantQueue(
      grantee,
      [
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:GetQueueAttributes',
        'sqs:SendMessage',
      ],
      ['kms:Decrypt', 'kms:GenerateDataKey'],
    );
  }

  /**
   * Tasks that ran or were refused for good, from the worker's EMF metrics (`worker.events.emfMetrics`;
   * synthesis warns `@celeriac/infra:emfMetricsOff` without it). `taskName` narrows a task metric to one name.
   * @default - sum over 5 minutes, the queue's total
   */
  metricTasks(props?: TaskMetricOptions): cloudwatch.Metric {
    return this.taskMetric('Tasks', props);
  }

  /** Tasks whose FAILURE was stored (EMF). @default - sum over 5 minutes, the queue's total */
  metricFailures(props?: TaskMetricOptions): cloudwatch.Metric {
    return this.taskMetric('Failures', props);
  }

  /** Tasks that asked for a retry, RETRY stored (EMF). @default - sum over 5 minutes, the queue's total */
  metricRetries(props?: TaskMetricOptions): cloudwatch.Metric {
    return this.taskMetric('Retries', props);
  }

  /** Milliseconds each run spent in the task function (EMF). @default - average over 5 min, the queue's total */
  metricDuration(props?: TaskMetricOptions): cloudwatch.Metric {
    return this.taskMetric('Duration', props);
  }

  /** Milliseconds from a message's send to its processing (EMF). @default - average over 5 min, queue total */
  metricQueueWait(props?: TaskMetricOptions): cloudwatch.Metric {
    return this.taskMetric('QueueWait', props);
  }

  /** Age of the queue's oldest message, in seconds (SQS's metric). @default - maximum over 5 minutes */
  metricApproximateAgeOfOldestMessage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage(props);
  }

  /** Messages of the queue available for retrieval (SQS's metric). @default - maximum over 5 minutes */
  metricApproximateNumberOfMessagesVisible(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible(props);
  }

  /** Messages in the dead-letter queue (the dead-letter alarm's metric). @default - maximum over 5 minutes */
  metricDeadLetterMessages(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible(props);
  }

  /**
   * Adds an alarm (child `id`) that fires when at least `threshold` tasks of the queue, or of one task name,
   * fail within a period: {@link TaskQueue.metricFailures}, at or over the threshold for `evaluationPeriods`
   * periods, missing data not breaching.
   */
  addFailureAlarm(id: string, props: FailureAlarmProps = {}): cloudwatch.Alarm {
    const metric = (options: TaskMetricOptions) => this.metricFailures(options);
    return failureAlarm(this, id, this.validate, metric, this.celeryQueueName, props);
  }

  /**
   * Adds an alarm (child `id`) that fires when the queue's oldest message is at least `maxAge` old for
   * `evaluationPeriods` minutes (the 1-minute maximum of `ApproximateAgeOfOldestMessage`), missing data not
   * breaching: the worker is failing, throttled or not consuming.
   */
  addOldestMessageAgeAlarm(id: string, props: OldestMessageAgeAlarmProps): cloudwatch.Alarm {
    const age = this.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1) });
    return oldestMessageAgeAlarm(this, id, this.validate, age, this.celeryQueueName, props);
  }

  private taskMetric(name: TaskMetricName, props: TaskMetricOptions | undefined): cloudwatch.Metric {
    if (!this.emfMetrics && !this.warnedNoEmf) {
      this.warnedNoEmf = true;
      Annotations.of(this).addWarningV2(
        '@celeriac/infra:emfMetricsOff',
        `${name} is read from the worker's EMF metrics, which it does not write: set ` +
          '`worker.events.emfMetrics: true` (CELERIAC_EMF_METRICS) or the metric stays empty.',
      );
    }
    return taskMetric(this.validate, this.celeryQueueName, name, props);
  }

  private grantQueue(grantee: iam.IGrantable, queueActions: string[], keyActions: string[]): iam.Grant {
    let grant = this.queue.grant(grantee, ...queueActions);
    for (const priority of this.priorityQueues)
      grant = grant.combine(priority.queue.grant(grantee, ...queueActions));
    if (this.encryptionKey !== undefined)
      grant = grant.combine(this.encryptionKey.grant(grantee, ...keyActions));
    if (this.longEtas !== undefined) grant = grant.combine(this.longEtas.grant(grantee));
    const fn = environmentTargetOf(grantee);
    if (fn !== undefined) {
      registerQueue(fn, this.celeryQueueName, this.queue.queueUrl, this);
      for (const priority of this.priorityQueues) {
        registerQueue(fn, priority.celeryQueueName, priority.queue.queueUrl, this);
      }
    }
    return grant;
  }
}
