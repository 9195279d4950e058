/**
 * The rules a `TaskQueue`'s props must follow, and the values derived from them: each check throws a
 * `CeleriacConfigurationError` naming the prop, the value and the fix.
 */
import { Annotations, Duration, Names } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { canonicalQueueName, FIFO_SUFFIX, invalidSqsQueueName } from '../../src/protocol/queue-name.js';
import type { ResultStore } from './result-store.js';
import { describeDuration, type PropValidator, secondsOf } from './validation.js';
import { MAX_LAMBDA_TIMEOUT } from './worker-function.js';

const MIN_RETENTION = Duration.seconds(60);
const MAX_RETENTION = Duration.days(14);
const MAX_VISIBILITY = Duration.hours(12);
const MAX_BATCHING_WINDOW = Duration.minutes(5);
/** AWS: "set the source queue's visibility timeout to at least six times the timeout of your function". */
const VISIBILITY_FACTOR = 6;

/** Checks the Celery queue name (kombu must map it to a valid SQS name) and the physical queue name. */
export function validateNames(
  validate: PropValidator,
  celeryQueueName: string,
  queueName: string | undefined,
  fifo: boolean,
): void {
  const mapped = canonicalQueueName(celeryQueueName);
  if (invalidSqsQueueName(mapped) !== undefined) {
    validate.fail(
      'celeryQueueName',
      JSON.stringify(celeryQueueName),
      `maps to the SQS name ${JSON.stringify(mapped)} under kombu's naming rules, which SQS refuses. Use ` +
        'letters, digits and ASCII punctuation (no spaces), at most 80 characters including any `.fifo`, so ' +
        'Python Celery can find the same queue.',
    );
  }
  if (queueName === undefined) return;
  if (invalidSqsQueueName(queueName) !== undefined || queueName.endsWith(FIFO_SUFFIX) !== fifo) {
    validate.fail(
      'queueName',
      JSON.stringify(queueName),
      `must be a valid SQS queue name (letters, digits, - and _, at most 80 characters) that ` +
        `${fifo ? 'ends' : 'does not end'} in \`.fifo\`, like the Celery queue name ` +
        `${JSON.stringify(celeryQueueName)}.`,
    );
  }
  const dlqName = deadLetterQueueName(queueName, fifo);
  if (invalidSqsQueueName(dlqName) !== undefined) {
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
export function generatedFifoQueueName(scope: Construct): string {
  const maxLength = 80 - '-dlq'.length - FIFO_SUFFIX.length;
  return `${Names.uniqueResourceName(scope, { maxLength, separator: '-', allowedSpecialCharacters: '-_' })}${FIFO_SUFFIX}`;
}

/** The dead-letter queue name for a named queue: `<name>-dlq`, before any `.fifo`. */
export function deadLetterQueueName(queueName: string, fifo: boolean): string {
  return fifo ? `${queueName.slice(0, -FIFO_SUFFIX.length)}-dlq${FIFO_SUFFIX}` : `${queueName}-dlq`;
}

/** Checks `batchSize` and `maxBatchingWindow` against Lambda's limits for the queue type. */
export function validateBatching(
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

/** Checks the visibility timeout against the worker timeout, and returns it or its default. */
export function validateVisibility(
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

/** Checks both retention periods, and that a standard dead-letter queue outlasts its queue. */
export function validateRetention(
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

/** Checks `maxConcurrency` and returns it, or its default derived from the reserved concurrency. */
export function resolveMaxConcurrency(
  validate: PropValidator,
  maxConcurrency: number | undefined,
  reserved: number | undefined,
): number | undefined {
  validate.integerInRange(
    'maxConcurrency',
    maxConcurrency,
    2,
    1000,
    'the maximum concurrency Lambda accepts for an SQS event source.',
  );
  if (maxConcurrency !== undefined && reserved !== undefined && maxConcurrency > reserved) {
    validate.fail(
      'maxConcurrency',
      String(maxConcurrency),
      `must not exceed \`worker.reservedConcurrentExecutions\` (${reserved}): invocations over the reservation ` +
        'are throttled, and their messages return to the queue and count towards `maxReceiveCount`.',
    );
  }
  if (maxConcurrency !== undefined) return maxConcurrency;
  return reserved !== undefined && reserved >= 2 ? Math.min(reserved, 1000) : undefined;
}

/**
 * A task whose arguments went to S3 needs its payload for as long as its message can still be consumed or
 * redriven. Warn (not fail: the default FIFO settings hit it) when the message can outlive the payload.
 */
export function warnIfPayloadsExpireFirst(
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
