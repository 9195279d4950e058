/**
 * The Periodic tasks page: each entry of the app's registry, its next firings, and its last run. A firing's task
 * id is derived from the entry name and the slot's scheduled time (`periodicTaskId`), so the last run is the
 * stored result of the latest slot's id, wherever the firing ran (EventBridge Scheduler or `celeriac beat`).
 */
import type { App } from '../app.js';
import { dueSlots, nextSlotAfter, slotId } from '../beat/due-slots.js';
import { periodicTaskId } from '../periodic.js';

/** One periodic entry as the page shows it. */
export interface PeriodicView {
  readonly name: string;
  readonly task: string;
  /** `crontab(...)` or `every N s`. */
  readonly schedule: string;
  readonly timezone: string;
  readonly enabled: boolean;
  /** The next firings, ISO 8601. */
  readonly next: readonly string[];
  /** The latest slot at or before now and what is stored for its task id (`unknown` when nothing is). */
  readonly lastRun: { readonly scheduledAt: string; readonly taskId: string; readonly state: string } | null;
}

/** How far back the latest slot is looked for. */
const LAST_RUN_WINDOW_MS = 2 * 86_400_000;

/** Every periodic entry of the app, with `count` next firings each. */
export async function periodicViews(app: App, count = 5): Promise<PeriodicView[]> {
  const now = new Date(app.runtime.clock.now());
  return await Promise.all(
    app.registry.periodicTasks.map(async (entry) => {
      const next: string[] = [];
      let at: Date | undefined = now;
      while (next.length < count && at !== undefined) {
        at = nextSlotAfter(entry.schedule, at, { timezone: entry.timezone });
        if (at !== undefined) next.push(at.toISOString());
      }
      const last = dueSlots({
        schedule: entry.schedule,
        timezone: entry.timezone,
        now,
        catchUpWindowMs: LAST_RUN_WINDOW_MS,
      }).at(-1);
      let lastRun: PeriodicView['lastRun'] = null;
      if (last !== undefined) {
        const taskId = periodicTaskId(entry.name, slotId(last));
        const stored = await app.runtime.results.get(taskId);
        lastRun = { scheduledAt: last.toISOString(), taskId, state: stored?.status ?? 'unknown' };
      }
      const schedule =
        entry.schedule.kind === 'every' ? `every ${entry.schedule.seconds} s` : entry.schedule.toString();
      return {
        name: entry.name,
        task: entry.taskName,
        schedule,
        timezone: entry.timezone,
        enabled: entry.enabled,
        next,
        lastRun,
      };
    }),
  );
}
