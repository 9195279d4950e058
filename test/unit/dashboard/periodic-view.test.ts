/** The Periodic tasks page's data: next firings from the schedule, the last run from the latest slot's task id. */
import { describe, expect, it } from 'vitest';
import { crontab } from '../../../src/beat/crontab.js';
import { nextSlotAfter, slotId } from '../../../src/beat/due-slots.js';
import { every } from '../../../src/beat/every.js';
import { periodicViews } from '../../../src/dashboard/periodic-view.js';
import { periodicTaskId } from '../../../src/periodic.js';
import { buildResultMeta } from '../../../src/protocol/result-meta.js';
import { createTestApp } from '../../../src/testing/create-test-app.js';

describe('periodicViews', () => {
  it('lists each entry with its next firings, and its last run as "unknown" until a result is stored for it', async () => {
    const app = createTestApp();
    app.task('p.report', () => 'ok');
    app.periodic('every-10m', { task: 'p.report', schedule: every({ minutes: 10 }) });
    app.periodic('daily', {
      task: 'p.report',
      schedule: crontab({ minute: 30, hour: 4 }),
      timezone: 'Europe/Paris',
    });
    const now = new Date(app.runtime.clock.now());

    const [interval, daily] = await periodicViews(app, 3);
    const first = nextSlotAfter(every({ minutes: 10 }), now);
    expect(interval?.schedule).toBe('every 600 s');
    expect(interval?.next).toHaveLength(3);
    expect(interval?.next[0]).toBe(first?.toISOString());
    expect(Date.parse(interval?.next[1] ?? '') - Date.parse(interval?.next[0] ?? '')).toBe(600_000);
    expect(interval?.lastRun?.state).toBe('unknown');
    expect(Date.parse(interval?.lastRun?.scheduledAt ?? '')).toBe((first?.getTime() ?? 0) - 600_000);
    expect(daily?.timezone).toBe('Europe/Paris');
    expect(daily?.next).toEqual(
      [1, 2, 3].reduce<string[]>((acc) => {
        const after = acc.length === 0 ? now : new Date(acc.at(-1) ?? '');
        return [
          ...acc,
          nextSlotAfter(crontab({ minute: 30, hour: 4 }), after, {
            timezone: 'Europe/Paris',
          })?.toISOString() ?? '',
        ];
      }, []),
    );

    const lastSlot = new Date(interval?.lastRun?.scheduledAt ?? '');
    const taskId = periodicTaskId('every-10m', slotId(lastSlot));
    expect(interval?.lastRun?.taskId).toBe(taskId);
    await app.runtime.results.put(
      taskId,
      buildResultMeta({ taskId, status: 'SUCCESS', result: 'ok', dateDone: new Date() }),
      { nowMs: Date.now() },
    );
    const [again] = await periodicViews(app);
    expect(again?.lastRun).toEqual({ scheduledAt: lastSlot.toISOString(), taskId, state: 'SUCCESS' });
  });
});
