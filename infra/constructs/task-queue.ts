/**
 * One Celery queue on AWS: an SQS queue, its dead-letter queue, the Lambda worker that consumes it, and an
 * alarm on the dead-letter queue.
 */
import { Annotations, Duration, Names } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../src/config/env.js';
import { environmentTargetOf, registerQueue, reserveDefaultQueue } from './client-environment.js';
import { FIFO_SUFFIX, isValidSqsQueueName, kombuQueueName } from './queue-names.js';
import type { ResultStore } from './result-store.js';
import { describeDuration, PropValidator, secondsOf } from './validation.js';
import {
  createWorkerFunction,
  MAX_LAMBDA_TIMEOUT,
  type TaskQueueWorkerProps,
  validateWorkerProps,
  WORKER_DEFAULTS,
} from './worker-function.js';

/** The CloudWatch alarm on a task queue's dead-letter queue. */
export interface DeadLetterAlarmOptions {
  /**
   * Number of visible messages in the dead-letter queue at which the alarm fires (a whole number, at least
   * 1). The alarm looks at the maximum of `ApproximateNumberOfMessagesVisible` over one 1-minute period and
   * treats missing data as not breaching.
   *
   * @default 1
   */
  readonly threshold?: number;

  /**
   * Actions to run when the alarm fires, e.g. `new cloudwatch_actions.SnsAction(topic)`.
   *
   * @default - none: the alarm only changes state
   */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
}

/** Properties of a {@link TaskQueue}. */
export interface TaskQueueProps {
  /**
   * The Celery queue name (Celery's routing key, `task_default_queue`, `apply_async(queue=...)`). A name that
   * ends in `.fifo` makes the queue and its dead-letter queue FIFO. Must map, under kombu's SQS naming rules,
   * to a name SQS accepts, so Python Celery can share the queue.
   *
   * @default 'celery'
   */
  readonly celeryQueueName?: string;

  /**
   * Physical SQS queue name. The dead-letter queue is then named `<name>-dlq` (before any `.fifo`). Must end
   * in `.fifo` exactly when `celeryQueueName` does.
   *
   * @default - for a standard queue, CloudFormation generates unique names for both queues; a FIFO queue is
   * named `<stack name>-<construct path>-<hash>.fifo` (its dead-letter queue `...-dlq.fifo`), because
   * CloudFormation's generated FIFO names can exceed SQS's 80 characters
   */
  readonly queueName?: string;

  /** Where the worker stores states and results; the worker is granted `grantWriteResults` on it. */
  readonly resultStore: ResultStore;

  /** The Lambda function that consumes the queue. */
  readonly worker: TaskQueueWorkerProps;

  /**
   * How long a received message stays invisible before SQS delivers it again. At least 6 × `worker.timeout`
   * (plus `maxBatchingWindow`), as AWS advises for Lambda event sources, so a message is not redelivered
   * while its batch is still running; at most 12 hours.
   *
   * @default - 6 × `worker.timeout` + `maxBatchingWindow`
   */
  readonly visibilityTimeout?: Duration;

  /**
   * Receives after which SQS moves a message to the dead-letter queue (1 to 1000). Each failed attempt of a
   * batch item counts once.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * How long the queue keeps an unconsumed message (60 seconds to 14 days).
   *
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;

  /**
   * How long the dead-letter queue keeps a message (60 seconds to 14 days). For a standard queue it must be
   * longer than `retentionPeriod`: a message moved to a standard dead-letter queue keeps its original
   * enqueue time, so it would otherwise expire on arrival.
   *
   * @default Duration.days(14)
   */
  readonly deadLetterRetentionPeriod?: Duration;

  /**
   * Messages per worker invocation: 1 to 10 for FIFO queues, 1 to 10000 for standard queues, where more than
   * 10 requires `maxBatchingWindow`.
   *
   * @default 10
   */
  readonly batchSize?: number;

  /**
   * How long the event source mapping gathers messages before invoking the worker (up to 5 minutes; not for
   * FIFO queues).
   *
   * @default - no batching window: invoke as soon as messages arrive
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * The most concurrent worker invocations the event source mapping starts (2 to 1000), at most
   * `worker.reservedConcurrentExecutions`.
   *
   * @default - `worker.reservedConcurrentExecutions` when that is set (and at least 2), otherwise no limit
   */
  readonly maxConcurrency?: number;

  /**
   * Customer managed KMS key that encrypts both queues. Grants then include the KMS actions needed to send
   * and receive.
   *
   * @default - SQS-managed server-side encryption (SSE-SQS)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The alarm on the dead-letter queue.
   *
   * @default - alarm when the dead-letter queue holds at least 1 visible message, with no actions
   */
  readonly deadLetterAlarm?: DeadLetterAlarmOptions;
}

const DEFAULT_CELERY_QUEUE = 'celery';
const DEFAULT_MAX_RECEIVE_COUNT = 5;
const DEFAULT_RETENTION = Duration.days(4);
const DEFAULT_DLQ_RETENTION = Duration.days(14);
const DEFAULT_BATCH_SIZE = 10;
const MIN_RETENTION = Duration.seconds(60);
const MAX_RETENTION = Duration.days(14);
const MAX_VISIBILITY = Duration.hours(12);
const MAX_BATCHING_WINDOW = Duration.minutes(5);
/** AWS: "set the source queue's visibility timeout to at least six times the timeout of your function". */
const VISIBILITY_FACTOR = 6;

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

  private readonly encryptionKey: kms.IKey | undefined;

  constructor(scope: Construct, id: string, props: TaskQueueProps) {
    super(scope, id);
    const validate = new PropValidator('TaskQueue', this);
    const celeryQueueName = props.celeryQueueName ?? DEFAULT_CELERY_QUEUE;
    const fifo = celeryQueueName.endsWith(FIFO_SUFFIX);
    validateNames(validate, celeryQueueName, props.queueName, fifo);
    validateWorkerProps(validate, props.worker);

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
    const maxConcurrency = resolveMaxConcurrency(validate, props);
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

    const worker = createWorkerFunction(this, props.worker);
    const presetDefault = props.worker.environment?.[ENV.DEFAULT_QUEUE];
    if (presetDefault !== undefined) reserveDefaultQueue(worker, presetDefault);
    worker.addEventSource(
      new sources.SqsEventSource(queue, {
        batchSize,
        maxBatchingWindow: props.maxBatchingWindow,
        maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    this.grantSendTasks(worker);
    props.resultStore.grantWriteResults(worker);
    this.workerFunction = worker;

    const alarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription:
        `Messages of Celery queue '${celeryQueueName}' reached its dead-letter queue after ` +
        `${props.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT} failed receives.`,
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(...(props.deadLetterAlarm?.alarmActions ?? []));
    this.deadLetterAlarm = alarm;
  }

  /**
   * Lets `grantee` send tasks to this queue (`sendTask`, `delay`, `applyAsync`).
   *
   * Adds exactly: `sqs:SendMessage` on the queue; with `encryptionKey`, `kms:GenerateDataKey` and
   * `kms:Decrypt` on the key. A `lambda.Function` grantee also gets this queue in `CELERIAC_QUEUE_URLS` (one
   * JSON object shared by every TaskQueue granted to the function) and, if it has none yet,
   * `CELERIAC_DEFAULT_QUEUE` set to this queue's Celery name.
   */
  grantSendTasks(grantee: iam.IGrantable): iam.Grant {
    return this.grantQueue(grantee, ['sqs:SendMessage'], ['kms:GenerateDataKey', 'kms:Decrypt']);
  }

  /**
   * Lets `grantee` consume this queue as a long-running worker outside Lambda (`celeriac worker`, or Python
   * Celery with `predefined_queues`).
   *
   * Adds exactly: `sqs:ReceiveMessage`, `sqs:DeleteMessage`, `sqs:ChangeMessageVisibility`,
   * `sqs:GetQueueAttributes` and `sqs:SendMessage` (for ETA re-delays and retries) on the queue; with
   * `encryptionKey`, `kms:Decrypt` and `kms:GenerateDataKey` on the key. A `lambda.Function` grantee also
   * gets the variables {@link TaskQueue.grantSendTasks} sets.
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

  private grantQueue(grantee: iam.IGrantable, queueActions: string[], keyActions: string[]): iam.Grant {
    let grant = this.queue.grant(grantee, ...queueActions);
    if (this.encryptionKey !== undefined)
      grant = grant.combine(this.encryptionKey.grant(grantee, ...keyActions));
    const fn = environmentTargetOf(grantee);
    if (fn !== undefined) registerQueue(fn, this.celeryQueueName, this.queue.queueUrl, this);
    return grant;
  }
}

function validateNames(
  validate: PropValidator,
  celeryQueueName: string,
  queueName: string | undefined,
  fifo: boolean,
): void {
  const mapped = kombuQueueName(celeryQueueName);
  if (!isValidSqsQueueName(mapped)) {
    validate.fail(
      'celeryQueueName',
      JSON.stringify(celeryQueueName),
      `maps to the SQS name ${JSON.stringify(mapped)} under kombu's naming rules, which SQS refuses. Use ` +
        'letters, digits and ASCII punctuation (no spaces), at most 80 characters including any `.fifo`, so ' +
        'Python Celery can find the same queue.',
    );
  }
  if (queueName === undefined) return;
  if (!isValidSqsQueueName(queueName) || queueName.endsWith(FIFO_SUFFIX) !== fifo) {
    validate.fail(
      'queueName',
      JSON.stringify(queueName),
      `must be a valid SQS queue name (letters, digits, - and _, at most 80 characters) that ` +
        `${fifo ? 'ends' : 'does not end'} in \`.fifo\`, like the Celery queue name ` +
        `${JSON.stringify(celeryQueueName)}.`,
    );
  }
  const dlqName = deadLetterQueueName(queueName, fifo);
  if (!isValidSqsQueueName(dlqName)) {
    validate.fail(
      'queueName',
      JSON.stringify(queueName),
      `is too long for its dead-letter queue name ${JSON.stringify(dlqName)} (SQS allows 80 characters); ` +
        'shorten it by at least 4 characters.',
    );
  }
}

/**
 * A name for a FIFO queue the user did not name: `<stack name>-<path>-<hash>.fifo`, unique per stack and
 * construct path. CloudFormation's own generated names for FIFO queues can exceed SQS's 80 characters
 * (cloudformation-coverage-roadmap#280), and moto refuses FIFO queues without a name ending in `.fifo`.
 */
function generatedFifoQueueName(scope: Construct): string {
  const maxLength = 80 - '-dlq'.length - FIFO_SUFFIX.length;
  return `${Names.uniqueResourceName(scope, { maxLength, separator: '-', allowedSpecialCharacters: '-_' })}${FIFO_SUFFIX}`;
}

function deadLetterQueueName(queueName: string, fifo: boolean): string {
  return fifo ? `${queueName.slice(0, -FIFO_SUFFIX.length)}-dlq${FIFO_SUFFIX}` : `${queueName}-dlq`;
}

function validateBatching(
  validate: PropValidator,
  fifo: boolean,
  batchSize: number,
  maxBatchingWindow: Duration | undefined,
): void {
  validate.integerInRange(
    'batchSize',
    batchSize,
    1,
    fifo ? 10 : 10_000,
    fifo
      ? 'Lambda reads at most 10 messages per batch from a FIFO queue.'
      : 'the batch sizes Lambda accepts for a standard queue.',
  );
  if (fifo && maxBatchingWindow !== undefined) {
    validate.fail(
      'maxBatchingWindow',
      describeDuration(maxBatchingWindow),
      'cannot be set on a FIFO queue: Lambda does not support a batching window for FIFO event sources. ' +
        'Remove it.',
    );
  }
  validate.durationInRange(
    'maxBatchingWindow',
    maxBatchingWindow,
    { min: Duration.seconds(0), max: MAX_BATCHING_WINDOW },
    'the batching windows Lambda accepts.',
  );
  if (batchSize > 10 && (secondsOf(maxBatchingWindow) ?? 0) < 1) {
    validate.fail(
      'batchSize',
      String(batchSize),
      'is over 10, which Lambda accepts only with a `maxBatchingWindow` of at least 1 second. Set ' +
        '`maxBatchingWindow` or lower `batchSize` to 10.',
    );
  }
}

function validateVisibility(
  validate: PropValidator,
  visibilityTimeout: Duration | undefined,
  timeout: Duration,
  maxBatchingWindow: Duration | undefined,
): Duration {
  const timeoutSeconds = secondsOf(timeout);
  const windowSeconds = secondsOf(maxBatchingWindow) ?? 0;
  if (timeoutSeconds === undefined) {
    // The timeout is a deploy-time token: fall back to what the longest possible timeout needs.
    return visibilityTimeout ?? Duration.seconds(VISIBILITY_FACTOR * MAX_LAMBDA_TIMEOUT.toSeconds());
  }
  const requiredSeconds = VISIBILITY_FACTOR * timeoutSeconds + windowSeconds;
  if (visibilityTimeout === undefined) return Duration.seconds(requiredSeconds);
  validate.durationInRange(
    'visibilityTimeout',
    visibilityTimeout,
    { max: MAX_VISIBILITY },
    'the longest visibility timeout SQS allows.',
  );
  const givenSeconds = secondsOf(visibilityTimeout);
  if (givenSeconds !== undefined && givenSeconds < requiredSeconds) {
    const window = windowSeconds > 0 ? ` + \`maxBatchingWindow\` (${windowSeconds} s)` : '';
    validate.fail(
      'visibilityTimeout',
      describeDuration(visibilityTimeout),
      `must be at least ${VISIBILITY_FACTOR} × the worker \`timeout\` (${describeDuration(timeout)})${window} = ` +
        `${requiredSeconds} s, or SQS may redeliver a message while the Lambda is still running it.`,
    );
  }
  return visibilityTimeout;
}

function validateRetention(
  validate: PropValidator,
  fifo: boolean,
  retention: Duration,
  dlqRetention: Duration,
): void {
  const reason = 'the retention periods SQS allows.';
  const bounds = { min: MIN_RETENTION, max: MAX_RETENTION };
  validate.durationInRange('retentionPeriod', retention, bounds, reason);
  validate.durationInRange('deadLetterRetentionPeriod', dlqRetention, bounds, reason);
  const queueSeconds = secondsOf(retention);
  const dlqSeconds = secondsOf(dlqRetention);
  if (!fifo && queueSeconds !== undefined && dlqSeconds !== undefined && dlqSeconds <= queueSeconds) {
    validate.fail(
      'deadLetterRetentionPeriod',
      describeDuration(dlqRetention),
      `must be longer than \`retentionPeriod\` (${describeDuration(retention)}): a message moved to a standard ` +
        'dead-letter queue keeps its original enqueue time, so it could expire as soon as it arrives.',
    );
  }
}

function resolveMaxConcurrency(validate: PropValidator, props: TaskQueueProps): number | undefined {
  const reserved = props.worker.reservedConcurrentExecutions;
  validate.integerInRange(
    'maxConcurrency',
    props.maxConcurrency,
    2,
    1000,
    'the maximum concurrency Lambda accepts for an SQS event source.',
  );
  if (props.maxConcurrency !== undefined && reserved !== undefined && props.maxConcurrency > reserved) {
    validate.fail(
      'maxConcurrency',
      String(props.maxConcurrency),
      `must not exceed \`worker.reservedConcurrentExecutions\` (${reserved}): invocations over the reservation ` +
        'are throttled, and their messages return to the queue and count towards `maxReceiveCount`.',
    );
  }
  if (props.maxConcurrency !== undefined) return props.maxConcurrency;
  return reserved !== undefined && reserved >= 2 ? Math.min(reserved, 1000) : undefined;
}

/**
 * A task whose arguments went to S3 needs its payload for as long as its message can still be consumed or
 * redriven. Warn (not fail: the default FIFO settings hit it) when the message can outlive the payload.
 */
function warnIfPayloadsExpireFirst(
  scope: Construct,
  resultStore: ResultStore,
  fifo: boolean,
  retention: Duration,
  dlqRetention: Duration,
): void {
  const payloadSeconds = secondsOf(resultStore.payloadExpiration);
  const queueSeconds = secondsOf(retention);
  const dlqSeconds = secondsOf(dlqRetention);
  if (payloadSeconds === undefined || queueSeconds === undefined || dlqSeconds === undefined) return;
  // A FIFO dead-letter queue resets the enqueue time; a standard one keeps it.
  const lifetimeSeconds = fifo ? queueSeconds + dlqSeconds : Math.max(queueSeconds, dlqSeconds);
  if (lifetimeSeconds > payloadSeconds) {
    Annotations.of(scope).addWarningV2(
      '@celeriac/infra:payloadExpiration',
      `A message can live ${lifetimeSeconds} s in this ${fifo ? 'FIFO ' : ''}queue and its dead-letter queue, ` +
        `longer than the ResultStore's \`payloadExpiration\` (${describeDuration(resultStore.payloadExpiration)}): ` +
        'a task whose arguments were stored in S3 would fail if consumed or redriven after its payload ' +
        'expired. Raise `payloadExpiration` or shorten the retention periods.',
    );
  }
}
