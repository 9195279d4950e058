import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidTimezoneError } from '../../../src/beat/errors.js';
import { assertTimezone, utcOffsetMs, wallClock } from '../../../src/beat/timezone.js';

/** The wall clock as Intl reads it in `timeZone`: the reference for every timezone, UTC included. */
function intlWallClock(instant: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    weekday: 'short',
  }).formatToParts(instant);
  const field = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    year: Number(field('year')),
    month: Number(field('month')),
    day: Number(field('day')),
    hour: Number(field('hour')),
    minute: Number(field('minute')),
    second: Number(field('second')),
    weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(field('weekday')),
  };
}

describe('wallClock', () => {
  it('reads UTC as Intl does, for any instant from 1970 to 2200', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) }), (ms) => {
        const instant = new Date(ms);
        expect(wallClock(instant, 'UTC')).toEqual(intlWallClock(instant, 'UTC'));
        expect(utcOffsetMs(instant, 'UTC')).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('reads other timezones through Intl, daylight saving time included', () => {
    // 2026-03-29 01:30 UTC is 03:30 in Berlin (summer time began at 01:00 UTC).
    const instant = new Date(Date.UTC(2026, 2, 29, 1, 30));
    expect(wallClock(instant, 'Europe/Berlin')).toEqual(intlWallClock(instant, 'Europe/Berlin'));
    expect(wallClock(instant, 'Europe/Berlin').hour).toBe(3);
    expect(utcOffsetMs(instant, 'Europe/Berlin')).toBe(2 * 3_600_000);
  });
});

describe('assertTimezone', () => {
  it('accepts UTC and IANA names, and refuses what Intl does not know, naming it', () => {
    expect(assertTimezone('UTC')).toBe('UTC');
    expect(assertTimezone('America/New_York')).toBe('America/New_York');
    expect(() => assertTimezone('Mars/Olympus_Mons')).toThrow(InvalidTimezoneError);
    expect(() => assertTimezone('Mars/Olympus_Mons')).toThrow(/Mars\/Olympus_Mons/);
    expect(() => assertTimezone('')).toThrow(InvalidTimezoneError);
  });
});
