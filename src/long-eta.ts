/**
 * Long ETAs: which far-off countdowns and ETAs become a one-time schedule (the {@link EtaScheduler} port,
 * EventBridge Scheduler on AWS) instead of a re-delay every 15 minutes, and why a message that is far off still
 * hops. The producer asks at send time, the worker's re-delay when it receives a message whose ETA is far off
 * (one sent by Python Celery, say).
 *
 * A message goes to the scheduler when its wait is over the threshold, a scheduler is configured for its queue,
 * and the schedule can deliver it unchanged. It keeps the hops when:
 * - the queue is FIFO: a schedule would take the message out of its group's order, which the FIFO wait keeps;
 * - it has message attributes (an S3 payload pointer's `ExtendedPayloadSize`, for one): a scheduled target
 *   delivers a body only, and a pointer's object could also expire (the payload lifecycle) before a far ETA;
 * - its body is over the scheduler's input limit ({@link ETA_SCHEDULE_MAX_BODY_BYTES});
 * - no scheduler (or none for its queue) is configured.
 * Each reason is logged once per process, so a queue full of such messages does not flood the log.
 */

import type { MessageAttribute } from './ports/broker.js';
import {
  ETA_SCHEDULE_MAX_BODY_BYTES,
  type EtaScheduleRequest,
  type EtaScheduleResult,
  type EtaScheduler,
} from './ports/eta-scheduler.js';

/**
 * The default threshold: a wait over 2 700 s (45 minutes, three 15-minute hops) is scheduled. Below it the
 * hops are cheaper even when their receives and deletes are batched 10 at a time; above it the schedule's one
 * invocation is (`npm run bench:long-eta`, docs/flow-control.md "Long ETAs").
 */
export const DEFAULT_LONG_ETA_THRESHOLD_SECONDS = 2_700;

/** The shortest threshold accepted: EventBridge Scheduler fires `at()` schedules to the minute, not the second. */
export const MIN_LONG_ETA_THRESHOLD_SECONDS = 60;

/** What {@link LongEtas.plan} looks at. */
export interface LongEtaCandidate {
  /** The Celery queue name. */
  readonly queue: string;
  readonly fifo: boolean;
  /** Whole seconds until the ETA. */
  readonly waitSeconds: number;
  /** The SQS `MessageBody` as it would be sent. */
  readonly body: string;
  readonly attributes?: Readonly<Record<string, MessageAttribute>> | undefined;
}

/** Schedule it, or keep the hops (with why, when the wait was long enough to be scheduled). */
export type LongEtaPlan =
  | { readonly schedule: true }
  | { readonly schedule: false; readonly reason?: string };

/** Options for {@link LongEtas}. */
export interface LongEtasOptions {
  /** The scheduler; without one every ETA hops. */
  readonly scheduler?: EtaScheduler | undefined;
  /** Waits over this many seconds are scheduled. Default {@link DEFAULT_LONG_ETA_THRESHOLD_SECONDS}. */
  readonly thresholdSeconds?: number;
  /** Where the once-per-reason fallback lines go. Default `console.warn`. */
  readonly warn?: (line: string) => void;
}

const encoder = new TextEncoder();

/** Decides, per message, between a schedule and the hops; shared by the producer and the worker. */
export class LongEtas {
  readonly scheduler: EtaScheduler | undefined;
  readonly thresholdSeconds: number;
  readonly #warn: (line: string) => void;
  readonly #warned = new Set<string>();

  constructor(options: LongEtasOptions = {}) {
    this.scheduler = options.scheduler;
    this.thresholdSeconds = options.thresholdSeconds ?? DEFAULT_LONG_ETA_THRESHOLD_SECONDS;
    this.#warn = options.warn ?? ((line) => console.warn(line));
  }

  /**
   * Whether this message's wait goes to the scheduler. A reason comes with every refusal of a wait over the
   * threshold, and is also logged (once per kind of reason).
   *
   * @example
   * new LongEtas({ scheduler }).plan({ queue: 'celery', fifo: false, waitSeconds: 7200, body }) // { schedule: true }
   */
  plan(candidate: LongEtaCandidate): LongEtaPlan {
    if (candidate.waitSeconds <= this.thresholdSeconds) return { schedule: false };
    const refusal = this.#refusal(candidate);
    if (refusal === undefined) return { schedule: true };
    this.warnOnce(
      refusal.key,
      `celeriac: long ETA on queue '${candidate.queue}' waits on the queue, not in a schedule: ${refusal.reason}`,
    );
    return { schedule: false, reason: refusal.reason };
  }

  /**
   * Schedules the delivery; on any failure resolves with the reason instead (logged once per kind), so the
   * caller falls back to the hops. A duplicate delivery that this may cause is refused by the task's claim.
   */
  async schedule(request: EtaScheduleRequest): Promise<EtaScheduleResult | { readonly failed: string }> {
    const scheduler = this.scheduler;
    if (scheduler === undefined) return { failed: 'no scheduler configured' };
    try {
      return await scheduler.schedule(request);
    } catch (error) {
      const reason = `scheduling failed, ${error instanceof Error ? error.message : String(error)}`;
      const name = error instanceof Error ? error.name : 'error';
      this.warnOnce(
        `failed:${name}`,
        `celeriac: long ETA of task ${request.taskId} re-delayed instead: ${reason}`,
      );
      return { failed: reason };
    }
  }

  /** Logs `line` the first time `key` is seen in this process. */
  warnOnce(key: string, line: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#warn(line);
  }

  #refusal(candidate: LongEtaCandidate): { key: string; reason: string } | undefined {
    if (candidate.fifo) {
      return {
        key: 'fifo',
        reason: "a FIFO queue's message waits in its group, keeping the group's order; a schedule would not",
      };
    }
    const attributes = Object.keys(candidate.attributes ?? {});
    if (attributes.length > 0) {
      return {
        key: 'attributes',
        reason:
          `the message has attributes (${attributes.join(', ')}) that a schedule cannot deliver ` +
          '(an S3 payload pointer needs its ExtendedPayloadSize attribute, and its object may expire first)',
      };
    }
    const bytes = encoder.encode(candidate.body).length;
    if (bytes > ETA_SCHEDULE_MAX_BODY_BYTES) {
      return {
        key: 'size',
        reason: `its body of ${bytes} bytes is over EventBridge Scheduler's input limit of ${ETA_SCHEDULE_MAX_BODY_BYTES}`,
      };
    }
    if (this.scheduler === undefined) {
      return {
        key: 'unconfigured',
        reason:
          'no scheduler is configured; set `longEta.roleArn` (CELERIAC_SCHEDULER_ROLE_ARN, set by the TaskQueue ' +
          'construct grants) to schedule it instead',
      };
    }
    if (!this.scheduler.accepts(candidate.queue)) {
      return {
        key: `queue:${candidate.queue}`,
        reason: `no scheduler role is configured for queue '${candidate.queue}' (\`longEta.roleArns\`)`,
      };
    }
    return undefined;
  }
}
