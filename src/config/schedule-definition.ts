/**
 * A periodic task as the infrastructure deploys it: plain data, produced by `app.scheduleDefinitions()` in the
 * CDK app and consumed by the `PeriodicTasks` construct (which may import nothing else from `src/`).
 */

/** The EventBridge Scheduler context attribute that the scheduler replaces with the firing's scheduled time. */
export const SCHEDULED_TIME_PLACEHOLDER = '<aws.scheduler.scheduled-time>';

/** One EventBridge Scheduler expression with its timezone. */
export interface ScheduleExpressionDefinition {
  /** `cron(...)` or `rate(...)`. */
  readonly expression: string;
  /** IANA timezone for `ScheduleExpressionTimezone`. */
  readonly timezone: string;
}

/** A periodic task ready to deploy. */
export interface ScheduleDefinition {
  /** The entry's name, unique in the app; part of every firing's task id. */
  readonly name: string;
  /** The Celery queue the task goes to. */
  readonly celeryQueue: string;
  /**
   * The SQS `MessageBody` to deliver: the Celery message as plain JSON (kombu reads it without base64), whose
   * task id contains {@link SCHEDULED_TIME_PLACEHOLDER}, so each firing has its own id and the scheduler's retries
   * of one firing share it.
   */
  readonly input: string;
  /** One or more expressions that together fire exactly the entry's slots. */
  readonly expressions: readonly ScheduleExpressionDefinition[];
  /** Deployed enabled or disabled. */
  readonly enabled: boolean;
  /** The schedule in Celery's words, for descriptions. */
  readonly description: string;
}
