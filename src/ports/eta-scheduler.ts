/**
 * The ETA-scheduler port: deliver one message to a queue at a given time, once, without anyone holding it
 * meanwhile. `src/aws/eventbridge-eta-scheduler.ts` implements it with EventBridge Scheduler one-time schedules
 * (`at(...)`, deleted after they fire); `src/memory/memory-eta-scheduler.ts` in memory.
 *
 * @remarks The message arrives with its body unchanged and without message attributes: a scheduled target
 * carries a body only. Deliberately absent: listing and cancelling schedules (a revoked task is refused by its
 * claim when the message arrives, as for any other delivery).
 */

/**
 * The most bytes a scheduled message's body may have: EventBridge Scheduler's limit on a target's `Input`
 * ("256 KB", API reference, `Target.Input`), read as 256 000 bytes to stay on the safe side of the unit.
 */
export const ETA_SCHEDULE_MAX_BODY_BYTES = 256_000;

/** One message to deliver later. */
export interface EtaScheduleRequest {
  /** The task id; with {@link EtaScheduleRequest.retries} it names the schedule, so a repeated request is one schedule. */
  readonly taskId: string;
  /** The message's retry count (a retry of the same task id is another message). */
  readonly retries: number;
  /** The Celery queue the message is for (which scheduler role may deliver to it). */
  readonly queue: string;
  /** The SQS queue URL the message is delivered to. */
  readonly queueUrl: string;
  /** The SQS `MessageBody`, delivered unchanged (for Celery messages, base64 of the kombu envelope). */
  readonly body: string;
  /** When to deliver it. */
  readonly deliverAt: Date;
  /** FIFO message group, for a FIFO queue. */
  readonly messageGroupId?: string;
}

/** What {@link EtaScheduler.schedule} did. */
export interface EtaScheduleResult {
  /** The schedule's name (unique per task id and retry count). */
  readonly scheduleName: string;
  /** `false` when a schedule of that name already existed: the request was a repeat, and nothing new was made. */
  readonly created: boolean;
}

/** Delivers messages at a later time. */
export interface EtaScheduler {
  /** Whether messages for this Celery queue can be scheduled (a delivery role is configured for it). */
  accepts(queue: string): boolean;
  /**
   * Schedules one delivery. Idempotent per task id and retry count: a repeat resolves with `created: false`.
   *
   * @throws {BackendError} when the scheduler refuses or fails; `retryable` says whether a retry may help.
   */
  schedule(request: EtaScheduleRequest): Promise<EtaScheduleResult>;
}
