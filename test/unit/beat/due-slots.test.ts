import { describe, expect, it } from 'vitest';
import {
  crontab,
  dueSlots,
  every,
  InvalidScheduleError,
  InvalidTimezoneError,
  nextSlotAfter,
  type Schedule,
  slotId,
} from '../../../src/beat/index.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function at(iso: string): Date {
  return new Date(iso);
}

function ids(slots: readonly Date[]): string[] {
  return slots.map(slotId);
}

function due(
  schedule: Schedule,
  lastFired: string | undefined,
  now: string,
  windowMs: number,
  timezone?: string,
) {
  return ids(
    dueSlots({
      schedule,
      timezone,
      lastFired: lastFired === undefined ? undefined : at(lastFired),
      now: at(now),
      catchUpWindowMs: windowMs,
    }),
  );
}

describe('slotId', () => {
  it("is EventBridge Scheduler's <aws.scheduler.scheduled-time>: ISO-8601 UTC without milliseconds", () => {
    expect(slotId(at('2026-11-21T07:00:00.000Z'))).toBe('2026-11-21T07:00:00Z');
    expect(slotId(at('2022-03-22T18:59:43Z'))).toBe('2022-03-22T18:59:43Z');
  });

  it('keeps milliseconds for sub-second local intervals so that their slots stay distinct', () => {
    expect(slotId(at('2026-11-21T07:00:00.500Z'))).toBe('2026-11-21T07:00:00.500Z');
  });

  it('refuses an invalid date', () => {
    expect(() => slotId(new Date(Number.NaN))).toThrow(InvalidScheduleError);
  });
});

describe('nextSlotAfter', () => {
  it('finds the next crontab time strictly after the given one', () => {
    const daily = crontab({ minute: 0, hour: 7 });
    expect(slotId(nextSlotAfter(daily, at('2026-11-21T07:00:00Z')) ?? at('invalid'))).toBe(
      '2026-11-22T07:00:00Z',
    );
    expect(slotId(nextSlotAfter(daily, at('2026-11-21T06:59:59.999Z')) ?? at('invalid'))).toBe(
      '2026-11-21T07:00:00Z',
    );
  });

  it('reads a crontab on the wall clock of its timezone, weekday included', () => {
    // Saturday 2026-11-21 00:00 UTC; the next Monday 00:00 in Tokyo (UTC+9) is Sunday 15:00 UTC.
    const mondays = crontab({ minute: 0, hour: 0, dayOfWeek: 'mon' });
    const next = nextSlotAfter(mondays, at('2026-11-21T00:00:00Z'), { timezone: 'Asia/Tokyo' });
    expect(next?.toISOString()).toBe('2026-11-22T15:00:00.000Z');
  });

  it("applies Celery's AND of day of month and day of week", () => {
    // The first Monday of December 2026 is the 7th.
    const firstMonday = crontab({ minute: 0, hour: 9, dayOfWeek: 'mon', dayOfMonth: '1-7' });
    expect(nextSlotAfter(firstMonday, at('2026-11-21T00:00:00Z'))?.toISOString()).toBe(
      '2026-12-07T09:00:00.000Z',
    );
  });

  it('anchors interval slots at the Unix epoch, so the start time does not shift them', () => {
    const fiveMinutes = every({ minutes: 5 });
    expect(nextSlotAfter(fiveMinutes, at('2026-11-21T07:02:30Z'))?.toISOString()).toBe(
      '2026-11-21T07:05:00.000Z',
    );
    expect(nextSlotAfter(fiveMinutes, at('2026-11-21T07:05:00Z'))?.toISOString()).toBe(
      '2026-11-21T07:10:00.000Z',
    );
    const sevenMinutes = every({ minutes: 7 });
    expect(nextSlotAfter(sevenMinutes, at('1970-01-01T00:00:00Z'))?.toISOString()).toBe(
      '1970-01-01T00:07:00.000Z',
    );
    for (const after of ['2026-11-21T07:02:30Z', '2031-05-05T23:59:59.999Z']) {
      const slot = nextSlotAfter(sevenMinutes, at(after)) ?? at('invalid');
      expect(slot.getTime() % (7 * MINUTE)).toBe(0);
      expect(slot.getTime() - at(after).getTime()).toBeGreaterThan(0);
      expect(slot.getTime() - at(after).getTime()).toBeLessThanOrEqual(7 * MINUTE);
    }
  });

  it('refuses an unknown timezone and an invalid date', () => {
    expect(() =>
      nextSlotAfter(crontab(), at('2026-11-21T00:00:00Z'), { timezone: 'Nowhere/Special' }),
    ).toThrow(InvalidTimezoneError);
    expect(() => nextSlotAfter(crontab(), new Date(Number.NaN))).toThrow(InvalidScheduleError);
  });
});

describe('dueSlots', () => {
  it('returns every slot after the last fired one up to now, oldest first', () => {
    expect(due(every({ minutes: 5 }), '2026-11-21T07:00:00Z', '2026-11-21T07:11:00Z', HOUR)).toEqual([
      '2026-11-21T07:05:00Z',
      '2026-11-21T07:10:00Z',
    ]);
    expect(due(crontab({ minute: '*/15' }), '2026-11-21T07:00:00Z', '2026-11-21T07:31:10Z', HOUR)).toEqual([
      '2026-11-21T07:15:00Z',
      '2026-11-21T07:30:00Z',
    ]);
  });

  it('includes a slot at exactly now and one at exactly the start of the catch-up window', () => {
    expect(due(every({ minutes: 5 }), '2026-11-21T07:00:00Z', '2026-11-21T07:15:00Z', 10 * MINUTE)).toEqual([
      '2026-11-21T07:05:00Z',
      '2026-11-21T07:10:00Z',
      '2026-11-21T07:15:00Z',
    ]);
  });

  it('skips slots older than the catch-up window', () => {
    expect(due(every({ minutes: 5 }), '2026-11-21T07:00:00Z', '2026-11-21T07:11:00Z', 3 * MINUTE)).toEqual([
      '2026-11-21T07:10:00Z',
    ]);
    expect(
      due(crontab({ minute: 0, hour: 7 }), '2026-11-18T07:00:00Z', '2026-11-21T08:00:00Z', 30 * MINUTE),
    ).toEqual([]);
  });

  it('returns nothing when the slot after the last fired one is still to come, or the clock went back', () => {
    expect(due(every({ minutes: 5 }), '2026-11-21T07:10:00Z', '2026-11-21T07:14:59Z', HOUR)).toEqual([]);
    expect(due(every({ minutes: 5 }), '2026-11-21T08:00:00Z', '2026-11-21T07:14:00Z', HOUR)).toEqual([]);
  });

  it('on first start fires only the most recent slot, and only if it is within the catch-up window', () => {
    expect(due(every({ minutes: 5 }), undefined, '2026-11-21T07:11:00Z', 2 * MINUTE)).toEqual([
      '2026-11-21T07:10:00Z',
    ]);
    expect(due(every({ minutes: 5 }), undefined, '2026-11-21T07:11:00Z', 30_000)).toEqual([]);
    expect(due(crontab({ minute: 0 }), undefined, '2026-11-21T07:00:20Z', MINUTE)).toEqual([
      '2026-11-21T07:00:00Z',
    ]);
    expect(due(crontab({ minute: 0 }), undefined, '2026-11-21T07:05:00Z', MINUTE)).toEqual([]);
    expect(due(crontab({ minute: '*/15' }), undefined, '2026-11-21T07:50:00Z', DAY)).toEqual([
      '2026-11-21T07:45:00Z',
    ]);
  });

  it('gives a restarted beat the same slot identifiers as before the restart', () => {
    const schedule = crontab({ minute: '*/10' });
    const beforeRestart = due(schedule, '2026-11-21T06:50:00Z', '2026-11-21T07:00:05Z', MINUTE);
    const afterRestart = due(schedule, undefined, '2026-11-21T07:00:40Z', MINUTE);
    expect(afterRestart).toEqual(beforeRestart);
  });

  it('returns at most maxSlots slots, the most recent ones', () => {
    const now = at('2026-11-21T07:00:00Z');
    const lastFired = new Date(now.getTime() - 100_000);
    const slots = dueSlots({ schedule: every(1), lastFired, now, catchUpWindowMs: HOUR, maxSlots: 3 });
    expect(ids(slots)).toEqual(['2026-11-21T06:59:58Z', '2026-11-21T06:59:59Z', '2026-11-21T07:00:00Z']);
    const minutes = dueSlots({
      schedule: crontab(),
      lastFired: at('2026-11-21T04:00:00Z'),
      now,
      catchUpWindowMs: DAY,
      maxSlots: 2,
    });
    expect(ids(minutes)).toEqual(['2026-11-21T06:59:00Z', '2026-11-21T07:00:00Z']);
  });

  it('fires sub-second intervals at millisecond precision', () => {
    expect(due(every(0.25), '2026-11-21T07:00:00Z', '2026-11-21T07:00:00.600Z', MINUTE)).toEqual([
      '2026-11-21T07:00:00.250Z',
      '2026-11-21T07:00:00.500Z',
    ]);
  });

  it('refuses invalid input', () => {
    const base = { schedule: every(1), now: at('2026-11-21T07:00:00Z'), catchUpWindowMs: MINUTE };
    expect(() => dueSlots({ ...base, catchUpWindowMs: -1 })).toThrow(InvalidScheduleError);
    expect(() => dueSlots({ ...base, catchUpWindowMs: Number.NaN })).toThrow(InvalidScheduleError);
    expect(() => dueSlots({ ...base, maxSlots: 0 })).toThrow(InvalidScheduleError);
    expect(() => dueSlots({ ...base, now: new Date('not a date') })).toThrow(InvalidScheduleError);
    expect(() => dueSlots({ ...base, lastFired: new Date(Number.NaN) })).toThrow(InvalidScheduleError);
    expect(() => dueSlots({ ...base, timezone: 'Mars/Olympus_Mons' })).toThrow(InvalidTimezoneError);
  });
});

describe('dueSlots across daylight saving time (as EventBridge Scheduler: gaps skipped, repeats once)', () => {
  const berlin = 'Europe/Berlin';

  // 2026-03-29: at 02:00 CET (01:00 UTC) Berlin clocks jump to 03:00 CEST; 02:00-02:59 does not exist.
  it('skips a time that does not exist on the spring-forward day', () => {
    const twoThirty = crontab({ minute: 30, hour: 2 });
    expect(nextSlotAfter(twoThirty, at('2026-03-28T01:30:00Z'), { timezone: berlin })?.toISOString()).toBe(
      '2026-03-30T00:30:00.000Z',
    );
    expect(due(twoThirty, '2026-03-28T01:30:00Z', '2026-03-29T12:00:00Z', DAY, berlin)).toEqual([]);
  });

  it('keeps the times around the gap on the spring-forward day', () => {
    // Local 01:00 and 01:30 CET (UTC+1), then 03:00 and 03:30 CEST (UTC+2).
    expect(
      due(
        crontab({ minute: '*/30', hour: '1-3' }),
        '2026-03-28T02:30:00Z',
        '2026-03-29T06:00:00Z',
        DAY,
        berlin,
      ),
    ).toEqual([
      '2026-03-29T00:00:00Z',
      '2026-03-29T00:30:00Z',
      '2026-03-29T01:00:00Z',
      '2026-03-29T01:30:00Z',
    ]);
  });

  // 2026-10-25: at 03:00 CEST (01:00 UTC) Berlin clocks go back to 02:00 CET; 02:00-02:59 happens twice.
  it('runs a repeated time once, at its first occurrence, on the fall-back day', () => {
    const twoThirty = crontab({ minute: 30, hour: 2 });
    expect(due(twoThirty, '2026-10-24T00:30:00Z', '2026-10-25T12:00:00Z', DAY, berlin)).toEqual([
      '2026-10-25T00:30:00Z',
    ]);
    expect(nextSlotAfter(twoThirty, at('2026-10-25T00:30:00Z'), { timezone: berlin })?.toISOString()).toBe(
      '2026-10-26T01:30:00.000Z',
    );
  });

  it('does not repeat a frequent crontab through the repeated hour', () => {
    // 02:00 and 02:30 CEST (UTC+2) fire; 02:00 and 02:30 CET (UTC+1) are the same wall-clock times again.
    expect(
      due(crontab({ minute: '*/30' }), '2026-10-24T23:30:00Z', '2026-10-25T02:00:00Z', 3 * HOUR, berlin),
    ).toEqual(['2026-10-25T00:00:00Z', '2026-10-25T00:30:00Z', '2026-10-25T02:00:00Z']);
  });

  it('runs intervals in real time, unaffected by the clock change', () => {
    expect(due(every({ hours: 1 }), '2026-10-24T23:00:00Z', '2026-10-25T03:00:00Z', DAY, berlin)).toEqual([
      '2026-10-25T00:00:00Z',
      '2026-10-25T01:00:00Z',
      '2026-10-25T02:00:00Z',
      '2026-10-25T03:00:00Z',
    ]);
  });

  it('handles a half-hour shift (Lord Howe Island, 2026-04-05: 02:00 UTC+11 becomes 01:30 UTC+10:30)', () => {
    // Local 01:00, 01:15, 01:30, 01:45 at UTC+11; then 01:30 and 01:45 again at UTC+10:30, not fired.
    expect(
      due(
        crontab({ minute: '*/15', hour: 1 }),
        '2026-04-04T13:00:00Z',
        '2026-04-04T16:00:00Z',
        DAY,
        'Australia/Lord_Howe',
      ),
    ).toEqual([
      '2026-04-04T14:00:00Z',
      '2026-04-04T14:15:00Z',
      '2026-04-04T14:30:00Z',
      '2026-04-04T14:45:00Z',
    ]);
  });

  it('returns undefined when a crontab only names times that fall in DST gaps', () => {
    // The last Sunday of March is Berlin's spring-forward day; March 29 is always that day when it is a Sunday.
    const never = crontab({ minute: 30, hour: 2, dayOfMonth: 29, monthOfYear: 3, dayOfWeek: 'sun' });
    expect(nextSlotAfter(never, at('2026-01-01T00:00:00Z'), { timezone: berlin })).toBeUndefined();
    expect(nextSlotAfter(never, at('2026-01-01T00:00:00Z'))?.toISOString()).toBe('2026-03-29T02:30:00.000Z');
    // Every year's gap time: still never, and known as never from then on.
    const yearly = crontab({ minute: 30, hour: 2, dayOfMonth: '25-31', monthOfYear: 3, dayOfWeek: 'sun' });
    expect(nextSlotAfter(yearly, at('2026-01-01T00:00:00Z'), { timezone: berlin })).toBeUndefined();
    expect(nextSlotAfter(yearly, at('2030-06-01T00:00:00Z'), { timezone: berlin })).toBeUndefined();
    // Outside the gap the same days fire, one a year.
    const beside = crontab({ minute: 30, hour: 3, dayOfMonth: '25-31', monthOfYear: 3, dayOfWeek: 'sun' });
    expect(nextSlotAfter(beside, at('2026-01-01T00:00:00Z'), { timezone: berlin })?.toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
  });

  it('finds a crontab slot decades away: February 29 on a Sunday', () => {
    const leap = crontab({ minute: 0, hour: 12, dayOfMonth: 29, monthOfYear: 2, dayOfWeek: 'sun' });
    expect(nextSlotAfter(leap, at('2026-01-01T00:00:00Z'), { timezone: berlin })?.toISOString()).toBe(
      '2032-02-29T11:00:00.000Z',
    );
    expect(nextSlotAfter(leap, at('2032-03-01T00:00:00Z'), { timezone: berlin })?.toISOString()).toBe(
      '2060-02-29T11:00:00.000Z',
    );
  });
});
