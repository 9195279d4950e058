/**
 * The scheduler port: one-time deliveries in the future, for ETAs beyond SQS's 15-minute delay. On AWS an
 * EventBridge Scheduler `at()` schedule sends the message straight to the queue and deletes itself.
 */

/** A message to deliver to a queue at a given time. */
export interface ScheduledDelivery {
  /** Unique schedule name (derived from the task id). */
  readonly name: string;
  /** When to deliver. */
  readonly at: Date;
  /** Target queue URL. */
  readonly queueUrl: string;
  /** The SQS `MessageBody` to deliver. */
  readonly body: string;
}

/** Delivers messages later. */
export interface Scheduler {
  /** Schedules one delivery. */
  scheduleOnce(delivery: ScheduledDelivery): Promise<void>;
}
