/**
 * Brute-force check that conversion keeps the meaning: for each crontab, the minutes matched by Celery's rules
 * (day of week AND day of month AND month, evaluated minute by minute with `Crontab.matches`) must be exactly
 * the minutes at which croner fires the produced EventBridge expressions, translated back to standard cron.
 */
import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import {
  type Crontab,
  type CrontabSpec,
  crontab,
  toScheduleExpressions,
  UnsupportedScheduleError,
} from '../../../src/beat/index.js';
import { eventBridgeToStandardCron } from './eventbridge-cron.js';

const DAY_MS = 86_400_000;
/** 2027-01-01T00:00Z: the window covers 2028, a leap year, so February 29 is tested. */
const START_MS = Date.UTC(2027, 0, 1);

/** Enough days to see the day logic, but few enough runs that croner stays quick. */
function windowDays(schedule: Crontab): number {
  const perDay = schedule.minute.length * schedule.hour.length;
  return Math.max(3, Math.min(4 * 366, Math.floor(4000 / perDay)));
}

function celeryMinutes(schedule: Crontab, days: number): number[] {
  const out: number[] = [];
  for (let d = 0; d < days; d += 1) {
    const midnight = START_MS + d * DAY_MS;
    const date = new Date(midnight);
    const time = {
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      weekday: date.getUTCDay(),
      hour: 0,
      minute: 0,
    };
    if (!schedule.matchesDay(time)) continue;
    for (let minuteOfDay = 0; minuteOfDay < 1440; minuteOfDay += 1) {
      time.hour = Math.floor(minuteOfDay / 60);
      time.minute = minuteOfDay % 60;
      if (schedule.matches(time)) out.push(midnight + minuteOfDay * 60_000);
    }
  }
  return out;
}

function eventBridgeMinutes(expressions: readonly string[], days: number): number[] {
  const end = START_MS + days * DAY_MS;
  const out = new Set<number>();
  for (const expression of expressions) {
    const cron = new Cron(eventBridgeToStandardCron(expression), { timezone: 'UTC', domAndDow: true });
    let run = cron.nextRun(new Date(START_MS - 1000));
    while (run !== null && run.getTime() < end) {
      out.add(run.getTime());
      run = cron.nextRun(run);
    }
  }
  return [...out].sort((a, b) => a - b);
}

function crossCheck(spec: CrontabSpec, maxExpressionLength?: number): string[] {
  const schedule = crontab(spec);
  const expressions = toScheduleExpressions(schedule, { maxExpressionLength }).map((e) => e.expression);
  const days = windowDays(schedule);
  const expected = celeryMinutes(schedule, days);
  expect(expected.length, 'the window should contain runs').toBeGreaterThan(0);
  expect(eventBridgeMinutes(expressions, days)).toEqual(expected);
  return expressions;
}

const CASES: CrontabSpec[] = [
  // The crontab table of Celery's periodic-tasks guide.
  {},
  { minute: 0, hour: 0 },
  { minute: 0, hour: '*/3' },
  { minute: '*/15' },
  { dayOfWeek: 'sunday' },
  { minute: '*/10', hour: '3,17,22', dayOfWeek: 'thu,fri' },
  { minute: 0, hour: '*/2,*/3' },
  { minute: 0, hour: '*/5' },
  { minute: 0, hour: '*/3,8-17' },
  { minute: 0, hour: 0, dayOfMonth: '2' },
  { minute: 0, hour: 0, dayOfMonth: '2-30/2' },
  { minute: 0, hour: 0, dayOfMonth: '1-7,15-21' },
  { minute: 0, hour: 0, dayOfMonth: '11', monthOfYear: '5' },
  { minute: 0, hour: 0, monthOfYear: '*/3' },
  // Day of week AND day of month.
  { minute: 0, hour: 0, dayOfWeek: 1, dayOfMonth: '1-7,15-21' },
  { minute: 15, hour: 9, dayOfWeek: 'mon-fri', dayOfMonth: '22-28' },
  { minute: 0, hour: 12, dayOfWeek: 'sat,sun', dayOfMonth: '29-31' },
  { minute: 30, hour: 6, dayOfWeek: 'tue', dayOfMonth: '1-7,29', monthOfYear: 2 },
  { minute: 0, hour: 0, dayOfMonth: '1-29', monthOfYear: 2, dayOfWeek: 'mon' },
  { minute: 0, hour: 0, dayOfMonth: '1-7,29,30', monthOfYear: '2,4', dayOfWeek: 'fri' },
  { minute: 45, hour: 23, dayOfMonth: '8-14', dayOfWeek: 'fri-mon/2' },
  // Other field shapes.
  { minute: '*/17', hour: '*/5' },
  { minute: '0,30', hour: '8-17', dayOfWeek: 'mon-fri' },
  { minute: 0, hour: 0, dayOfMonth: '*/3', monthOfYear: '*/2' },
  { minute: 5, hour: 4, dayOfMonth: 31 },
  { minute: 0, hour: 0, dayOfWeek: '*/2' },
  { minute: 0, hour: '22-2', dayOfWeek: 'fri-mon' },
  { minute: '55-5/3', hour: 7, monthOfYear: 'nov-feb' },
];

describe('toScheduleExpressions matches Celery minute for minute', () => {
  it.each(CASES)('for crontab %j', (spec) => {
    crossCheck(spec);
  });

  it('also when an expression is split to fit a length limit', () => {
    const expressions = crossCheck({ minute: '0,1,3,4,6,8,10,11,13,14', hour: '1,2,4,5,7,8,10,11' }, 40);
    expect(expressions.length).toBeGreaterThan(2);
  });

  it('for random crontabs with both day fields restricted, whenever a conversion is produced', () => {
    // A fixed-seed generator keeps the test repeatable.
    let seed = 20_261_121;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const pick = (from: number, to: number, keep: number): number[] =>
      Array.from({ length: to - from + 1 }, (_, i) => from + i).filter(() => random(100) < keep);
    let converted = 0;
    let refused = 0;
    for (let i = 0; i < 60; i += 1) {
      // Whole week blocks half of the time, arbitrary days otherwise.
      const dayOfMonth =
        i % 2 === 0
          ? [1, 8, 15, 22, 29].filter(() => random(2) === 0).flatMap((first) => pick(first, first + 6, 100))
          : pick(1, 31, 30);
      const spec: CrontabSpec = {
        minute: random(60),
        hour: random(24),
        dayOfWeek: pick(0, 6, 40),
        dayOfMonth: dayOfMonth.filter((day) => day <= 31),
        monthOfYear: pick(1, 12, 50),
      };
      try {
        crontab(spec);
      } catch {
        continue; // an empty field or a date that never exists
      }
      try {
        crossCheck(spec);
        converted += 1;
      } catch (error) {
        if (!(error instanceof UnsupportedScheduleError)) throw error;
        refused += 1;
      }
    }
    expect(converted).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(5);
  });
});
