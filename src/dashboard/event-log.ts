/**
 * The task events the dashboard has seen, for the task page's timeline: kept in memory, per task id, at most
 * {@link MAX_TASKS} tasks (the oldest task's events are dropped first). `celeriac dashboard --events` fills it
 * from a tail of the workers' EventBridge bus.
 */
import type { TaskEventSource } from './dashboard-context.js';

/** The most tasks whose events are kept. */
export const MAX_TASKS = 10_000;

/**
 * Task events by task id, each task's in the order of their timestamps, the producer's task-sent first: it is
 * stamped after the send returns, in another process, so a worker that receives at once can stamp task-received
 * a moment earlier.
 */
export class EventLog implements TaskEventSource {
  readonly #byTask = new Map<string, object[]>();

  /** Adds events (anything without a string `uuid`, such as worker heartbeats, is skipped). */
  add(events: readonly unknown[]): void {
    for (const event of events) {
      if (typeof event !== 'object' || event === null) continue;
      const uuid = (event as { uuid?: unknown }).uuid;
      if (typeof uuid !== 'string') continue;
      const list = this.#byTask.get(uuid);
      if (list) list.push(event);
      else {
        this.#byTask.set(uuid, [event]);
        if (this.#byTask.size > MAX_TASKS) {
          const oldest = this.#byTask.keys().next().value;
          if (oldest !== undefined) this.#byTask.delete(oldest);
        }
      }
    }
  }

  forTask(taskId: string): readonly object[] {
    const time = (event: object) => Number((event as { timestamp?: unknown }).timestamp ?? 0);
    const sent = (event: object) => Number((event as { type?: unknown }).type === 'task-sent');
    return [...(this.#byTask.get(taskId) ?? [])].sort((a, b) => sent(b) - sent(a) || time(a) - time(b));
  }
}
