/**
 * The rules a `PeriodicTasks` construct's props must follow: each check throws a `CeleriacConfigurationError`
 * naming the prop, the value and the fix.
 *
 * Limits (EventBridge Scheduler API reference and user guide):
 * - schedule and schedule group names: 1-64 characters, `[0-9a-zA-Z-_.]` (`CreateSchedule`, `CreateScheduleGroup`);
 * - `RetryPolicy`: `MaximumRetryAttempts` 0-185, `MaximumEventAgeInSeconds` 60-86,400 (`RetryPolicy`);
 * - a schedule's payload: 256 KB ("Quotas for Amazon EventBridge Scheduler");
 * - a dead-letter queue must be a standard SQS queue ("Configuring a schedule's dead-letter queue").
 */
import { Duration, Token } from 'aws-cdk-lib';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { SCHEDULED_TIME_PLACEHOLDER, type ScheduleDefinition } from '../../src/config/schedule-definition.js';
import { FIFO_SUFFIX } from '../../src/protocol/queue-name.js';
import type { PropValidator } from './validation.js';

/** The longest schedule or schedule group name EventBridge Scheduler accepts. */
export const MAX_SCHEDULE_NAME_LENGTH = 64;
/** The characters EventBridge Scheduler accepts in schedule and schedule group names. */
const SCHEDULER_NAME = /^[0-9a-zA-Z_.-]+$/;
/** The largest schedule payload (the target `Input`) EventBridge Scheduler accepts: 256 KB. */
export const MAX_INPUT_BYTES = 256 * 1024;
/** The longest schedule description EventBridge Scheduler accepts. */
export const MAX_DESCRIPTION_LENGTH = 512;
/** The most retries EventBridge Scheduler accepts in `MaximumRetryAttempts`. */
export const MAX_RETRY_ATTEMPTS = 185;
/** The shortest `MaximumEventAgeInSeconds` EventBridge Scheduler accepts. */
export const MIN_EVENT_AGE = Duration.minutes(1);
/** The longest `MaximumEventAgeInSeconds` EventBridge Scheduler accepts. */
export const MAX_EVENT_AGE = Duration.days(1);

/** A Celery queue name and the SQS queue that carries it; a `TaskQueue` is one. */
export interface CeleryQueue {
  /** The Celery queue name (the routing key a periodic task's `celeryQueue` names). */
  readonly celeryQueueName: string;
  /** The SQS queue the scheduler sends that Celery queue's messages to. */
  readonly queue: sqs.IQueue;
}

/** The name of the schedule that fires `expressions[index]` of the definition named `name`: `<name>-<index + 1>`. */
export function scheduleName(name: string, index: number): string {
  // The suffix is digits only, so the last `-` splits a name back into its definition and index: two distinct
  // definitions can never produce the same schedule name.
  return `${name}-${index + 1}`;
}

/** A definition's description, with the part it fires when it has several expressions, within Scheduler's limit. */
export function scheduleDescription(definition: ScheduleDefinition, index: number): string {
  const count = definition.expressions.length;
  const text =
    count > 1 ? `${definition.description} (schedule ${index + 1} of ${count})` : definition.description;
  return text.length > MAX_DESCRIPTION_LENGTH ? `${text.slice(0, MAX_DESCRIPTION_LENGTH - 1)}…` : text;
}

/** Checks a schedule group name against Scheduler's rules. */
export function validateGroupName(validate: PropValidator, name: string | undefined): void {
  if (name === undefined || Token.isUnresolved(name)) return;
  if (name.length > MAX_SCHEDULE_NAME_LENGTH || !SCHEDULER_NAME.test(name)) {
    validate.fail(
      'scheduleGroupName',
      JSON.stringify(name),
      `must be 1 to ${MAX_SCHEDULE_NAME_LENGTH} letters, digits, \`-\`, \`_\` or \`.\`: EventBridge Scheduler ` +
        'refuses any other schedule group name.',
    );
  }
}

/**
 * Maps each Celery queue name to its SQS queue. Two different queues under one Celery name are refused: the
 * construct could not tell which one a periodic task means.
 */
export function queuesByCeleryName(
  validate: PropValidator,
  queues: readonly CeleryQueue[],
): ReadonlyMap<string, sqs.IQueue> {
  const byName = new Map<string, sqs.IQueue>();
  queues.forEach(({ celeryQueueName, queue }, index) => {
    const known = byName.get(celeryQueueName);
    if (known !== undefined && known !== queue) {
      validate.fail(
        `queues[${index}].celeryQueueName`,
        JSON.stringify(celeryQueueName),
        `is also the Celery name of ${known.node.path}: each Celery queue name must map to one SQS queue. ` +
          'Remove one of them.',
      );
    }
    byName.set(celeryQueueName, queue);
  });
  return byName;
}

/** True when the queue is (or is named as) a FIFO queue. */
function isFifo(queue: sqs.IQueue, celeryQueueName: string): boolean {
  return queue.fifo || celeryQueueName.endsWith(FIFO_SUFFIX);
}

/**
 * Checks every definition: a name Scheduler accepts for each of its schedules, no duplicates, at least one
 * expression, a payload within Scheduler's limit that carries the scheduled-time placeholder, and a standard
 * queue in `queues` for its Celery queue. Returns each definition with its target queue, in order.
 */
export function validateDefinitions(
  validate: PropValidator,
  definitions: readonly ScheduleDefinition[],
  queues: ReadonlyMap<string, sqs.IQueue>,
): Array<{ readonly definition: ScheduleDefinition; readonly queue: sqs.IQueue }> {
  const seen = new Set<string>();
  return definitions.map((definition, index) => {
    const at = `schedules[${index}]`;
    const entry = `periodic task ${JSON.stringify(definition.name)}`;
    if (seen.has(definition.name)) {
      validate.fail(
        `${at}.name`,
        JSON.stringify(definition.name),
        "is the name of an earlier definition too: names identify schedules and are part of every firing's " +
          'task id, so each must be unique. Pass each periodic task once (`app.scheduleDefinitions()` does).',
      );
    }
    seen.add(definition.name);
    if (definition.expressions.length === 0) {
      validate.fail(
        `${at}.expressions`,
        '[]',
        `is empty, so ${entry} would never fire. Give it at least one \`{ expression, timezone }\` ` +
          '(`app.scheduleDefinitions()` always does).',
      );
    }
    const longestName = scheduleName(definition.name, definition.expressions.length - 1);
    if (!SCHEDULER_NAME.test(definition.name) || longestName.length > MAX_SCHEDULE_NAME_LENGTH) {
      validate.fail(
        `${at}.name`,
        JSON.stringify(definition.name),
        `must be letters, digits, \`-\`, \`_\` or \`.\`, short enough that its schedule names (\`<name>-<n>\`, ` +
          `here up to ${JSON.stringify(longestName)}) stay within EventBridge Scheduler's ` +
          `${MAX_SCHEDULE_NAME_LENGTH} characters. Rename the periodic task.`,
      );
    }
    validateInput(validate, at, entry, definition.input);
    const queue = queues.get(definition.celeryQueue);
    if (queue === undefined) {
      const known = [...queues.keys()].map((name) => JSON.stringify(name)).join(', ') || 'none';
      validate.fail(
        `${at}.celeryQueue`,
        JSON.stringify(definition.celeryQueue),
        `(${entry}) has no queue in \`queues\` (given: ${known}). Add the TaskQueue that serves ` +
          `${JSON.stringify(definition.celeryQueue)} to \`queues\`, or route the periodic task to one of them ` +
          '(`options.queue`).',
      );
    }
    if (isFifo(queue, definition.celeryQueue)) {
      validate.fail(
        `${at}.celeryQueue`,
        JSON.stringify(definition.celeryQueue),
        `(${entry}) is a FIFO queue: EventBridge Scheduler cannot give its messages a deduplication id, and ` +
          "celeriac's FIFO queues have content-based deduplication off. Route the periodic task to a standard " +
          'queue (`options.queue`).',
      );
    }
    return { definition, queue };
  });
}

function validateInput(validate: PropValidator, at: string, entry: string, input: string): void {
  const bytes = Buffer.byteLength(input, 'utf8');
  if (bytes === 0 || bytes > MAX_INPUT_BYTES) {
    validate.fail(
      `${at}.input`,
      `${bytes} bytes`,
      `(${entry}) must be 1 to ${MAX_INPUT_BYTES} bytes, EventBridge Scheduler's limit on a schedule's ` +
        'payload. Pass large arguments by reference (an S3 key, a record id) instead of in the message.',
    );
  }
  if (!input.includes(SCHEDULED_TIME_PLACEHOLDER)) {
    validate.fail(
      `${at}.input`,
      `${bytes} bytes without ${SCHEDULED_TIME_PLACEHOLDER}`,
      `(${entry}) must contain ${SCHEDULED_TIME_PLACEHOLDER} in its task id: without it every firing would ` +
        'carry the same task id, and workers would run only the first. Build definitions with ' +
        '`app.scheduleDefinitions()`.',
    );
  }
}

/** Checks a dead-letter queue passed in: Scheduler delivers dead-letter events to standard queues only. */
export function validateDeadLetterQueue(validate: PropValidator, queue: sqs.IQueue | undefined): void {
  if (queue?.fifo === true) {
    validate.fail(
      'deadLetterQueue',
      queue.node.path,
      'is a FIFO queue: EventBridge Scheduler delivers dead-letter events to standard SQS queues only. Pass a ' +
        'standard queue, or leave `deadLetterQueue` out to have one created.',
    );
  }
}
