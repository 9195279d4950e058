/**
 * The ETA-scheduler port in memory: schedules kept by name (one per task id and retry count, as on EventBridge
 * Scheduler), delivered to a broker by {@link MemoryEtaScheduler.fireDue} and deleted once delivered.
 */
import type { Broker } from '../ports/broker.js';
import type { EtaScheduleRequest, EtaScheduleResult, EtaScheduler } from '../ports/eta-scheduler.js';

/** An in-memory {@link EtaScheduler}. */
export class MemoryEtaScheduler implements EtaScheduler {
  readonly #schedules = new Map<string, EtaScheduleRequest>();
  readonly #queues: ReadonlySet<string> | undefined;

  /** @param queues the Celery queues it accepts; all of them when absent. */
  constructor(queues?: readonly string[]) {
    this.#queues = queues === undefined ? undefined : new Set(queues);
  }

  accepts(queue: string): boolean {
    return this.#queues === undefined || this.#queues.has(queue);
  }

  async schedule(request: EtaScheduleRequest): Promise<EtaScheduleResult> {
    const scheduleName = `${request.taskId}-r${request.retries}`;
    if (this.#schedules.has(scheduleName)) return { scheduleName, created: false };
    this.#schedules.set(scheduleName, request);
    return { scheduleName, created: true };
  }

  /** The schedules not yet delivered, by name. */
  pending(): ReadonlyMap<string, EtaScheduleRequest> {
    return this.#schedules;
  }

  /** Delivers every schedule due at `nowMs` to `broker` and deletes it; resolves with how many were delivered. */
  async fireDue(broker: Broker, nowMs: number): Promise<number> {
    let fired = 0;
    for (const [name, request] of [...this.#schedules]) {
      if (request.deliverAt.getTime() > nowMs) continue;
      await broker.send(request.queueUrl, [
        {
          body: request.body,
          ...(request.messageGroupId === undefined ? {} : { messageGroupId: request.messageGroupId }),
        },
      ]);
      this.#schedules.delete(name);
      fired++;
    }
    return fired;
  }
}
