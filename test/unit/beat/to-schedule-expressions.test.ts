import { describe, expect, it } from 'vitest';
import {
  type CrontabSpec,
  crontab,
  every,
  InvalidScheduleError,
  InvalidTimezoneError,
  type Schedule,
  toScheduleExpressions,
  UnsupportedReason,
  UnsupportedScheduleError,
} from '../../../src/beat/index.js';
import { assertEventBridgeCron } from './eventbridge-cron.js';

function expressions(schedule: Schedule, timezone?: string): string[] {
  return toScheduleExpressions(schedule, { timezone }).map((e) => e.expression);
}

/**
 * Every example of the crontab table in Celery's "Periodic Tasks" guide, section "Crontab schedules"
 * (celery/celery, docs/userguide/periodic-tasks.rst; https://docs.celeryq.dev/en/stable/userguide/periodic-tasks.html#crontab-schedules),
 * with the EventBridge expression written by hand from the AWS cron rules: fields
 * `minutes hours day-of-month month day-of-week year`, `?` in whichever day field is not used, `a/s` for every
 * s-th value from a, day-of-week names SUN-SAT. Python's positional `crontab(0, 0, ...)` is minute, hour.
 */
const CELERY_DOCUMENTATION_TABLE: [string, string, CrontabSpec][] = [
  ['crontab()', 'cron(* * * * ? *)', {}],
  ['crontab(minute=0, hour=0)', 'cron(0 0 * * ? *)', { minute: 0, hour: 0 }],
  ["crontab(minute=0, hour='*/3')", 'cron(0 0/3 * * ? *)', { minute: 0, hour: '*/3' }],
  [
    "crontab(minute=0, hour='0,3,6,9,12,15,18,21')",
    'cron(0 0/3 * * ? *)',
    { minute: 0, hour: '0,3,6,9,12,15,18,21' },
  ],
  ["crontab(minute='*/15')", 'cron(0/15 * * * ? *)', { minute: '*/15' }],
  ["crontab(day_of_week='sunday')", 'cron(* * ? * SUN *)', { dayOfWeek: 'sunday' }],
  [
    "crontab(minute='*', hour='*', day_of_week='sun')",
    'cron(* * ? * SUN *)',
    { minute: '*', hour: '*', dayOfWeek: 'sun' },
  ],
  [
    "crontab(minute='*/10', hour='3,17,22', day_of_week='thu,fri')",
    'cron(0/10 3,17,22 ? * THU,FRI *)',
    { minute: '*/10', hour: '3,17,22', dayOfWeek: 'thu,fri' },
  ],
  // Hours 0,2,3,4,6,8,9,10,12,14,15,16,18,20,21,22: "every hour except 1, 5, 7, 11, 13, 17, 19, 23".
  [
    "crontab(minute=0, hour='*/2,*/3')",
    'cron(0 0,2-4,6,8-10,12,14-16,18,20-22 * * ? *)',
    { minute: 0, hour: '*/2,*/3' },
  ],
  // Hours divisible by 5: 0, 5, 10, 15, 20.
  ["crontab(minute=0, hour='*/5')", 'cron(0 0/5 * * ? *)', { minute: 0, hour: '*/5' }],
  // Hours 0, 3, 6, 8-17 and 18, 21.
  ["crontab(minute=0, hour='*/3,8-17')", 'cron(0 0,3,6,8-18,21 * * ? *)', { minute: 0, hour: '*/3,8-17' }],
  ["crontab(0, 0, day_of_month='2')", 'cron(0 0 2 * ? *)', { minute: 0, hour: 0, dayOfMonth: '2' }],
  [
    "crontab(0, 0, day_of_month='2-30/2')",
    'cron(0 0 2/2 * ? *)',
    { minute: 0, hour: 0, dayOfMonth: '2-30/2' },
  ],
  [
    "crontab(0, 0, day_of_month='1-7,15-21')",
    'cron(0 0 1-7,15-21 * ? *)',
    { minute: 0, hour: 0, dayOfMonth: '1-7,15-21' },
  ],
  [
    "crontab(0, 0, day_of_month='11', month_of_year='5')",
    'cron(0 0 11 5 ? *)',
    { minute: 0, hour: 0, dayOfMonth: '11', monthOfYear: '5' },
  ],
  ["crontab(0, 0, month_of_year='*/3')", 'cron(0 0 * 1/3 ? *)', { minute: 0, hour: 0, monthOfYear: '*/3' }],
];

describe('toScheduleExpressions: crontab', () => {
  it.each(CELERY_DOCUMENTATION_TABLE)('converts %s to %s', (_python, expected, spec) => {
    const result = expressions(crontab(spec));
    expect(result).toEqual([expected]);
    assertEventBridgeCron(expected);
  });

  it("converts the guide's opening example, Mondays at 07:30", () => {
    expect(expressions(crontab({ hour: 7, minute: 30, dayOfWeek: 1 }))).toEqual(['cron(30 7 ? * MON *)']);
  });

  it('maps Celery weekdays (Sunday = 0) to EventBridge names, without wrapping ranges', () => {
    expect(expressions(crontab({ minute: 0, hour: 9, dayOfWeek: 'mon-fri' }))).toEqual([
      'cron(0 9 ? * MON-FRI *)',
    ]);
    expect(expressions(crontab({ minute: 0, hour: 9, dayOfWeek: 'fri-mon' }))).toEqual([
      'cron(0 9 ? * SUN,MON,FRI,SAT *)',
    ]);
    expect(expressions(crontab({ minute: 0, hour: 9, dayOfWeek: '*/2' }))).toEqual([
      'cron(0 9 ? * SUN,TUE,THU,SAT *)',
    ]);
    expect(expressions(crontab({ minute: 0, hour: 9, dayOfWeek: 6 }))).toEqual(['cron(0 9 ? * SAT *)']);
  });

  it('turns "day of week AND a week of the month" into one n-th weekday schedule per weekday and week', () => {
    // Celery's crontab docstring: day_of_week=1 with day_of_month='1-7,15-21' is every first and third Monday.
    // EventBridge: 2 = MON, `2#1` the first Monday, one `#` per expression.
    expect(expressions(crontab({ minute: 0, hour: 0, dayOfWeek: 1, dayOfMonth: '1-7,15-21' }))).toEqual([
      'cron(0 0 ? * 2#1 *)',
      'cron(0 0 ? * 2#3 *)',
    ]);
    expect(expressions(crontab({ minute: 15, hour: 9, dayOfWeek: 'mon,fri', dayOfMonth: '22-28' }))).toEqual([
      'cron(15 9 ? * 2#4 *)',
      'cron(15 9 ? * 6#4 *)',
    ]);
    // Days 29-31 hold the fifth occurrence of a weekday, when there is one.
    expect(expressions(crontab({ minute: 0, hour: 12, dayOfWeek: 'sun', dayOfMonth: '29-31' }))).toEqual([
      'cron(0 12 ? * 1#5 *)',
    ]);
  });

  it('uses only the days a month has when both day fields are restricted', () => {
    // 1-29 is all of February, so only the weekday remains.
    expect(
      expressions(crontab({ minute: 0, hour: 0, dayOfMonth: '1-29', monthOfYear: 2, dayOfWeek: 'mon' })),
    ).toEqual(['cron(0 0 ? 2 MON *)']);
    // 1-30 is all of February and April; 1-30 in January is not, so January cannot be expressed.
    expect(
      expressions(crontab({ minute: 0, hour: 0, dayOfMonth: '1-30', monthOfYear: '2,4', dayOfWeek: 'tue' })),
    ).toEqual(['cron(0 0 ? 2,4 TUE *)']);
    // In February the fifth Friday can only be the 29th; in April it is the 29th or the 30th.
    expect(
      expressions(
        crontab({ minute: 0, hour: 0, dayOfMonth: '1-7,29', monthOfYear: 'feb', dayOfWeek: 'fri' }),
      ),
    ).toEqual(['cron(0 0 ? 2 6#1 *)', 'cron(0 0 ? 2 6#5 *)']);
    expect(
      expressions(
        crontab({ minute: 0, hour: 0, dayOfMonth: '1-7,29,30', monthOfYear: '2,4', dayOfWeek: 'fri' }),
      ),
    ).toEqual(['cron(0 0 ? 2,4 6#1 *)', 'cron(0 0 ? 2,4 6#5 *)']);
    // Days a month does not have are ignored, as in both systems: 30 and 31 never occur in February.
    expect(
      expressions(
        crontab({ minute: 0, hour: 0, dayOfMonth: '1-7,30,31', monthOfYear: '2', dayOfWeek: 'fri' }),
      ),
    ).toEqual(['cron(0 0 ? 2 6#1 *)']);
  });

  it('passes the timezone through for ScheduleExpressionTimezone', () => {
    expect(toScheduleExpressions(crontab({ minute: 0, hour: 7 }), { timezone: 'Europe/Berlin' })).toEqual([
      { expression: 'cron(0 7 * * ? *)', timezone: 'Europe/Berlin' },
    ]);
    expect(toScheduleExpressions(crontab({ minute: 0, hour: 7 }))).toEqual([
      { expression: 'cron(0 7 * * ? *)', timezone: 'UTC' },
    ]);
  });

  it('refuses an unknown timezone', () => {
    expect(() => toScheduleExpressions(crontab(), { timezone: 'Europe/Atlantis' })).toThrow(
      InvalidTimezoneError,
    );
  });

  it.each([
    [{ dayOfMonth: 1, dayOfWeek: 'mon' }, 'the 1st only when it is a Monday'],
    [{ dayOfMonth: '*/7', dayOfWeek: 0 }, "Celery's docstring: only months that begin on a Sunday"],
    [{ dayOfMonth: '1-10', dayOfWeek: 'fri' }, 'not whole weeks'],
    [{ dayOfMonth: '1-7,29-30', dayOfWeek: 'wed' }, '29-30 is not the whole fifth week in 31-day months'],
  ] as [CrontabSpec, string][])('refuses %j (%s) and says why', (spec) => {
    const schedule = crontab({ minute: 0, hour: 0, ...spec });
    let error: unknown;
    try {
      toScheduleExpressions(schedule);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnsupportedScheduleError);
    expect(error).toMatchObject({
      reason: UnsupportedReason.DayOfMonthAndDayOfWeek,
      schedule: schedule.describe(),
    });
    const message = (error as Error).message;
    expect(message).toContain('both restricted');
    expect(message).toContain('n-th weekday of the month');
    expect(message).toContain('still works under the local `celeriac beat`');
  });

  it('splits an expression longer than the limit into schedules that together match the same minutes', () => {
    const schedule = crontab({ minute: '0,1,3,4,6,8,10,11,13,14', hour: '1,2,4,5,7,8,10,11' });
    const whole = expressions(schedule);
    expect(whole).toEqual(['cron(0,1,3,4,6,8,10,11,13,14 1,2,4,5,7,8,10,11 * * ? *)']);
    const split = toScheduleExpressions(schedule, { maxExpressionLength: 50 }).map((e) => e.expression);
    expect(split).toEqual([
      'cron(0,1,3,4,6 1,2,4,5,7,8,10,11 * * ? *)',
      'cron(8,10,11,13,14 1,2,4,5,7,8,10,11 * * ? *)',
    ]);
    for (const expression of split) expect(expression.length).toBeLessThanOrEqual(50);
  });

  it('refuses a length limit too small for any expression', () => {
    expect(() => toScheduleExpressions(crontab(), { maxExpressionLength: 20 })).toThrow(InvalidScheduleError);
  });

  it('keeps the longest crontabs within the 256 characters Scheduler accepts', () => {
    const [longest] = expressions(
      crontab({
        minute:
          '0,1,3,4,6,8,10,11,13,14,16,17,19,20,22,23,25,26,28,29,31,32,34,35,37,38,40,41,43,44,46,47,49,50,52,53,55,56,58,59',
        hour: '0,1,3,4,6,8,10,11,13,14,16,17,19,20,22,23',
        dayOfMonth: '1,2,4,5,7,8,10,12,13,15,16,18,19,21,22,24,25,27,28,30,31',
        monthOfYear: '1,3,4,6,7,9,11,12',
      }),
    );
    expect(longest?.length).toBeGreaterThan(230);
    expect(longest?.length).toBeLessThanOrEqual(256);
    assertEventBridgeCron(longest ?? '');
  });
});

describe('toScheduleExpressions: every', () => {
  it.each([
    [{ minutes: 1 }, 'rate(1 minute)'],
    [{ minutes: 5 }, 'rate(5 minutes)'],
    [{ seconds: 120 }, 'rate(2 minutes)'],
    [{ minutes: 90 }, 'rate(90 minutes)'],
    [{ hours: 1 }, 'rate(1 hour)'],
    [{ minutes: 120 }, 'rate(2 hours)'],
    [{ days: 1 }, 'rate(1 day)'],
    [{ hours: 48 }, 'rate(2 days)'],
    [{ days: 1, hours: 1 }, 'rate(25 hours)'],
  ])('converts every(%j) to %s', (duration, expected) => {
    expect(expressions(every(duration))).toEqual([expected]);
  });

  it('passes the timezone through even though a rate does not depend on it', () => {
    expect(toScheduleExpressions(every({ hours: 1 }), { timezone: 'Asia/Tokyo' })).toEqual([
      { expression: 'rate(1 hour)', timezone: 'Asia/Tokyo' },
    ]);
  });

  it('refuses an interval under a minute, saying it still runs locally', () => {
    expect(() => toScheduleExpressions(every(30))).toThrow(UnsupportedScheduleError);
    expect(() => toScheduleExpressions(every(30))).toThrow(
      /shortest rate is one minute.*still works under the local `celeriac beat`/,
    );
    try {
      toScheduleExpressions(every(59.999));
    } catch (error) {
      expect(error).toMatchObject({
        reason: UnsupportedReason.SubMinuteInterval,
        schedule: '<freq: 1.00 minute>',
      });
    }
    expect.assertions(3);
  });

  it('refuses an interval that is not a whole number of minutes and suggests the neighbours', () => {
    let error: unknown;
    try {
      toScheduleExpressions(every(90));
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ reason: UnsupportedReason.FractionalMinutes });
    expect((error as Error).message).toContain('every({ minutes: 1 }) or every({ minutes: 2 })');
    expect((error as Error).message).toContain('still works under the local `celeriac beat`');
  });
});
