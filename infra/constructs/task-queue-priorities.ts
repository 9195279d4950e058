/**
 * A `TaskQueue`'s priority queues: more Celery queues (`high`, say) that the same worker function consumes, each
 * an SQS queue with its own dead-letter queue and alarm, encrypted and TLS-only like the main queue, and its own
 * event source mapping. SQS has no message priority, so priority is a concurrency split: each mapping's
 * `maxConcurrency` caps how many invocations its queue may use, so a busy queue cannot take the invocations the
 * others need (docs/flow-control.md, "Priorities").
 */
import type { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { canonicalQueueName, FIFO_SUFFIX } from '../../src/protocol/queue-name.js';
import { deadLetterAlarm } from './dead-letter-alarm.js';
import type { PriorityQueueProps } from './task-queue-props.js';
import { deadLetterQueueName, generatedFifoQueueName, validateNames } from './task-queue-rules.js';
import type { PropValidator } from './validation.js';

/** One of a `TaskQueue`'s priority queues, as built. */
export interface PriorityQueue {
  /** The Celery queue name it serves. */
  readonly celeryQueueName: string;
  /** The task queue. */
  readonly queue: sqs.IQueue;
  /** Where its messages go after `maxReceiveCount` receives. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The alarm on its dead-letter queue. */
  readonly deadLetterAlarm: cloudwatch.IAlarm;
  /** Its event source mapping's maximum concurrency; `undefined` for no limit. */
  readonly maxConcurrency: number | undefined;
}

/** What every queue of one `TaskQueue` shares with the main queue. */
export interface SharedQueueSettings {
  readonly fifo: boolean;
  readonly visibilityTimeout: Duration;
  readonly retentionPeriod: Duration;
  readonly deadLetterRetentionPeriod: Duration;
  readonly maxReceiveCount: number;
  readonly encryptionKey: kms.IKey | undefined;
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration | undefined;
  readonly alarmThreshold: number;
  readonly alarmActions: readonly cloudwatch.IAlarmAction[] | undefined;
}

/** Lambda's range for an SQS event source's maximum concurrency. */
const MIN_MAX_CONCURRENCY = 2;
const MAX_MAX_CONCURRENCY = 1000;

/**
 * Checks the priority queues against the main queue: names SQS and kombu accept, distinct Celery names, the main
 * queue's kind (FIFO or standard), and each `maxConcurrency` in Lambda's range.
 */
export function validatePriorityQueues(
  validate: PropValidator,
  mainCeleryQueueName: string,
  fifo: boolean,
  priorityQueues: readonly PriorityQueueProps[],
): void {
  const seen = new Set([canonicalQueueName(mainCeleryQueueName)]);
  priorityQueues.forEach((props, i) => {
    const prop = `priorityQueues[${i}]`;
    validateNames(validate, props.celeryQueueName, props.queueName, fifo);
    if (props.celeryQueueName.endsWith(FIFO_SUFFIX) !== fifo) {
      validate.fail(
        `${prop}.celeryQueueName`,
        JSON.stringify(props.celeryQueueName),
        `must ${fifo ? 'end' : 'not end'} in \`.fifo\`, like the main queue ` +
          `${JSON.stringify(mainCeleryQueueName)}: the queues of one TaskQueue share its batching and retention ` +
          'settings, which differ between FIFO and standard queues. Use a TaskQueue of its own for the other kind.',
      );
    }
    const canonical = canonicalQueueName(props.celeryQueueName);
    if (seen.has(canonical)) {
      validate.fail(
        `${prop}.celeryQueueName`,
        JSON.stringify(props.celeryQueueName),
        `maps to the SQS name ${JSON.stringify(canonical)}, which another queue of this TaskQueue already ` +
          'has (the main queue or an earlier priority queue). Give each queue its own Celery name.',
      );
    }
    seen.add(canonical);
    validate.integerInRange(
      `${prop}.maxConcurrency`,
      props.maxConcurrency,
      MIN_MAX_CONCURRENCY,
      MAX_MAX_CONCURRENCY,
      'the maximum concurrency Lambda accepts for an SQS event source.',
    );
  });
}

/**
 * The maximum concurrency of each event source mapping, the main queue's last. An explicit value wins. With
 * `worker.reservedConcurrentExecutions` the others split what the explicit ones leave by weight: the queues
 * in order (priority queues first, the main queue last) weigh `n` down to 1, and each gets at least 2 (Lambda's
 * minimum). The mappings together never exceed the reservation: invocations over it are throttled, and their
 * messages count towards `maxReceiveCount`. Without a reservation, unset values stay unset (no limit).
 */
export function splitConcurrency(
  validate: PropValidator,
  explicit: readonly (number | undefined)[],
  reserved: number | undefined,
): (number | undefined)[] {
  const split = [...explicit];
  if (reserved === undefined) return split;
  const fixed = explicit.reduce<number>((sum, value) => sum + (value ?? 0), 0);
  const open = explicit.flatMap((value, i) => (value === undefined ? [i] : []));
  const left = reserved - fixed;
  if (left < open.length * MIN_MAX_CONCURRENCY) {
    validate.fail(
      'worker.reservedConcurrentExecutions',
      String(reserved),
      `is too small for this TaskQueue's ${explicit.length} event source mappings: the explicit ` +
        `\`maxConcurrency\` values take ${fixed}, and each of the ${open.length} other(s) needs at least ` +
        `${MIN_MAX_CONCURRENCY}. Invocations over the reservation are throttled, and their messages return to the ` +
        `queue and count towards \`maxReceiveCount\`. Raise it to at least ` +
        `${fixed + open.length * MIN_MAX_CONCURRENCY}, or lower the \`maxConcurrency\` values.`,
    );
  }
  const weightOf = (i: number) => explicit.length - i;
  const totalWeight = open.reduce((sum, i) => sum + weightOf(i), 0);
  for (const i of open) {
    split[i] = Math.max(MIN_MAX_CONCURRENCY, Math.floor((left * weightOf(i)) / totalWeight));
  }
  // Raising a share to the minimum can overshoot, rounding down leave a few: settle on the most urgent first.
  let difference = left - open.reduce((sum, i) => sum + (split[i] ?? 0), 0);
  for (const i of open) {
    const value = split[i] ?? 0;
    const change = difference < 0 ? Math.max(difference, MIN_MAX_CONCURRENCY - value) : difference;
    split[i] = Math.min(MAX_MAX_CONCURRENCY, value + change);
    difference -= split[i] - value;
  }
  return split;
}

/** Creates one priority queue (child `id`) with its dead-letter queue and alarm, consumed by `worker`. */
export function createPriorityQueue(
  scope: Construct,
  id: string,
  props: PriorityQueueProps,
  shared: SharedQueueSettings,
  worker: lambda.IFunction,
  maxConcurrency: number | undefined,
): PriorityQueue {
  const child = new Construct(scope, id);
  const encryption =
    shared.encryptionKey === undefined
      ? { encryption: sqs.QueueEncryption.SQS_MANAGED }
      : { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: shared.encryptionKey };
  const fifoProps = shared.fifo ? { fifo: true, contentBasedDeduplication: false } : {};
  const queueName = props.queueName ?? (shared.fifo ? generatedFifoQueueName(child) : undefined);
  const deadLetterQueue = new sqs.Queue(child, 'DeadLetterQueue', {
    queueName: queueName === undefined ? undefined : deadLetterQueueName(queueName, shared.fifo),
    retentionPeriod: shared.deadLetterRetentionPeriod,
    enforceSSL: true,
    ...encryption,
    ...fifoProps,
  });
  const queue = new sqs.Queue(child, 'Queue', {
    queueName,
    visibilityTimeout: shared.visibilityTimeout,
    retentionPeriod: shared.retentionPeriod,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: shared.maxReceiveCount },
    enforceSSL: true,
    ...encryption,
    ...fifoProps,
  });
  worker.addEventSource(
    new sources.SqsEventSource(queue, {
      batchSize: shared.batchSize,
      maxBatchingWindow: shared.maxBatchingWindow,
      maxConcurrency,
      reportBatchItemFailures: true,
    }),
  );
  const alarm = deadLetterAlarm(child, deadLetterQueue, {
    description:
      `Messages of Celery queue '${props.celeryQueueName}' reached its dead-letter queue after ` +
      `${shared.maxReceiveCount} failed receives.`,
    threshold: shared.alarmThreshold,
    ...(shared.alarmActions ? { actions: shared.alarmActions } : {}),
  });
  return {
    celeryQueueName: props.celeryQueueName,
    queue,
    deadLetterQueue,
    deadLetterAlarm: alarm,
    maxConcurrency,
  };
}

/** A construct id for a priority queue, from its Celery name (ids may not contain `/`). */
export function priorityQueueId(celeryQueueName: string): string {
  return `Priority-${celeryQueueName.replace(/\//g, '_')}`;
}
