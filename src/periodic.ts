/**
 * Periodic tasks, defined in code next to the tasks: a schedule (`crontab` or `every`), the task and its
 * arguments, send options, a timezone and an enabled flag. The same definition is fired two ways, with the same
 * message: deployed, by EventBridge Scheduler straight into SQS (`scheduleDefinitions()` feeds the CDK
 * construct); locally, by `celeriac beat`.
 *
 * Each firing's task id is `<entry name>-<scheduled time>` (e.g. `nightly-cleanup-2026-11-21T04:00:00Z`): unique per
 * slot, the same across EventBridge Scheduler's retries of that slot (its execution id changes per attempt, its
 * scheduled time does not) and across a local beat's restarts, so the worker's claim runs each slot once.
 */
import { createHash } from 'node:crypto';
import type { ApplyOptions } from './apply-options.js';
import { isSchedule, type Schedule } from './beat/schedule.js';
import { assertTimezone, DEFAULT_TIMEZONE } from './beat/timezone.js';
import { toScheduleExpressions } from './beat/to-schedule-expressions.js';
import { SCHEDULED_TIME_PLACEHOLDER, type ScheduleDefinition } from './config/schedule-definition.js';
import { ImproperlyConfigured, InvalidOptionError } from './errors.js';
import { isFifoQueueName } from './protocol/queue-name.js';
import { encodeTaskMessage } from './protocol/task-message.js';
import { type SendCall, type SendRequest, toTaskMessage } from './send-request.js';
import type { Task } from './task.js';

/** Send options a periodic task may carry. Times relative to "now" cannot be deployed, so none are offered. */
export type PeriodicSendOptions = Pick<
  ApplyOptions,
  'queue' | 'headers' | 'ignoreResult' | 'timeLimitSeconds' | 'softTimeLimitSeconds' | 'shadow' | 'priority'
>;

/** A periodic task definition. */
export interface PeriodicTaskSpec<A extends unknown[] = unknown[]> {
  /** The task, or the name of a task defined elsewhere (in Python, say). */
  readonly task: Task<A, unknown> | string;
  /** When it runs: `crontab({...})` or `every(...)`. */
  readonly schedule: Schedule;
  readonly args?: A | readonly unknown[];
  readonly kwargs?: Readonly<Record<string, unknown>>;
  readonly options?: PeriodicSendOptions;
  /** IANA timezone a crontab is read in. Default UTC. */
  readonly timezone?: string;
  /** Deployed and fired only when true. Default true. */
  readonly enabled?: boolean;
}

/** What building a periodic message needs: the app's send conversion and its name. */
export interface PeriodicSender {
  /** Validates a call into a send request with the registered task's defaults (`Client.request`). */
  request(call: SendCall): SendRequest;
  /** The app's name, for the firing's `origin` (`celeriac-beat@<name>`). */
  readonly appName: string;
}

/** A registered periodic task. */
export interface PeriodicTask {
  readonly name: string;
  readonly taskName: string;
  readonly schedule: Schedule;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly options: PeriodicSendOptions;
  readonly timezone: string;
  readonly enabled: boolean;
}

const ENTRY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

/** Validates a spec into a {@link PeriodicTask}. */
export function toPeriodicTask(name: string, spec: PeriodicTaskSpec): PeriodicTask {
  if (!ENTRY_NAME.test(name)) {
    throw InvalidOptionError.expected(
      'periodic task name',
      'letters, digits, `.`, `_` or `-`, at most 40 characters, starting with a letter or digit (it becomes part of task ids and schedule names)',
      name,
    );
  }
  const task: unknown = spec.task;
  const taskName =
    typeof task === 'string' ? task : (task as { readonly name?: unknown } | null | undefined)?.name;
  if (typeof taskName !== 'string' || taskName === '') {
    throw InvalidOptionError.expected(`${name}: task`, 'a task name or a registered task', task);
  }
  if (!isSchedule(spec.schedule)) {
    throw InvalidOptionError.expected(
      `${name}: schedule`,
      'a schedule built with crontab({...}) or every(seconds)',
      spec.schedule,
    );
  }
  if (spec.args !== undefined && !Array.isArray(spec.args)) {
    throw InvalidOptionError.expected(`${name}: args`, 'an array of positional arguments', spec.args);
  }
  if (
    spec.kwargs !== undefined &&
    (typeof spec.kwargs !== 'object' || spec.kwargs === null || Array.isArray(spec.kwargs))
  ) {
    throw InvalidOptionError.expected(`${name}: kwargs`, 'an object of keyword arguments', spec.kwargs);
  }
  const options = { ...(spec.options ?? {}) } as PeriodicSendOptions & Record<string, unknown>;
  for (const key of ['countdown', 'eta', 'expires', 'taskId'] as const) {
    if (options[key] !== undefined) {
      throw InvalidOptionError.expected(
        `${name}: options.${key}`,
        'unset: each firing sets its own id and runs when it fires',
        options[key],
      );
    }
  }
  return {
    name,
    taskName,
    schedule: spec.schedule,
    args: [...(spec.args ?? [])],
    kwargs: { ...(spec.kwargs ?? {}) },
    options,
    timezone: assertTimezone(spec.timezone ?? DEFAULT_TIMEZONE),
    enabled: spec.enabled ?? true,
  };
}

/** The task id of one firing: the entry name and the slot's scheduled time. */
export function periodicTaskId(entryName: string, scheduledTime: string): string {
  return `${entryName}-${scheduledTime}`;
}

/** A stable UUID-shaped value derived from text, so a periodic message is the same wherever it is built. */
function stableUuid(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The `MessageBody` every firing of `entry` sends, with {@link SCHEDULED_TIME_PLACEHOLDER} where the firing's
 * scheduled time goes: the Celery v2 message in kombu's envelope, as plain JSON (EventBridge Scheduler can only
 * substitute context attributes in text it can see; kombu reads plain-JSON bodies as well as base64 ones).
 */
export function periodicMessageTemplate(
  entry: PeriodicTask,
  sender: PeriodicSender,
): { readonly queue: string; readonly body: string } {
  const taskId = periodicTaskId(entry.name, SCHEDULED_TIME_PLACEHOLDER);
  const request = sender.request({
    name: entry.taskName,
    args: entry.args,
    kwargs: entry.kwargs,
    options: { ...entry.options, taskId },
    workflow: {
      origin: `celeriac-beat@${sender.appName}`,
      replyTo: stableUuid(`${entry.name}/reply_to`),
      deliveryTag: stableUuid(`${entry.name}/delivery_tag`),
    },
  });
  if (isFifoQueueName(request.queue)) {
    throw new ImproperlyConfigured(
      `Periodic task ${JSON.stringify(entry.name)} targets the FIFO queue ${JSON.stringify(request.queue)}: EventBridge Scheduler cannot give its deliveries a deduplication id; route it to a standard queue`,
      { setting: 'periodic' },
    );
  }
  // The template is fixed at deploy time: its `expiration` property must not depend on when it was built.
  const message = toTaskMessage({ ...request, now: new Date(0) });
  return { queue: request.queue, body: encodeTaskMessage(message, { base64: false }) };
}

/** The `MessageBody` of one firing: the template with its scheduled time filled in. */
export function renderFiring(template: string, scheduledTime: string): string {
  return template.split(SCHEDULED_TIME_PLACEHOLDER).join(scheduledTime);
}

/**
 * The app's periodic tasks as the CDK construct deploys them.
 *
 * @throws {UnsupportedScheduleError} for a schedule EventBridge Scheduler cannot fire exactly, naming why.
 */
export function toScheduleDefinition(entry: PeriodicTask, sender: PeriodicSender): ScheduleDefinition {
  const { queue, body } = periodicMessageTemplate(entry, sender);
  return {
    name: entry.name,
    celeryQueue: queue,
    input: body,
    expressions: toScheduleExpressions(entry.schedule, { timezone: entry.timezone }).map((e) => ({
      expression: e.expression,
      timezone: e.timezone,
    })),
    enabled: entry.enabled,
    description: `${entry.taskName} ${entry.schedule.describe()}${entry.timezone === 'UTC' ? '' : ` (${entry.timezone})`}`,
  };
}
