import { describe, expect, it } from 'vitest';
import {
  Crontab,
  type CrontabSpec,
  crontab,
  InvalidCrontabError,
  InvalidScheduleError,
  isSchedule,
} from '../../../src/beat/index.js';

type Field = 'minute' | 'hour' | 'dayOfWeek' | 'dayOfMonth' | 'monthOfYear';

/**
 * Expected expansions as printed by real Celery 5.6.3 (`sorted(crontab(**{field: spec}).<field>)`, run from the
 * project venv), including the examples of Celery's `crontab` docstring and `crontab_parser` tests.
 */
const CELERY_EXPANSIONS: [Field, string, number[]][] = [
  ['minute', '*/15', [0, 15, 30, 45]],
  [
    'minute',
    '1,13,30-45,50-59/2',
    [1, 13, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 50, 52, 54, 56, 58],
  ],
  ['hour', '0,8-17/2', [0, 8, 10, 12, 14, 16]],
  ['hour', '*/3', [0, 3, 6, 9, 12, 15, 18, 21]],
  ['hour', '22-2', [0, 1, 2, 22, 23]],
  ['minute', '55-5/3', [1, 4, 55, 58]],
  ['minute', '2-4/3,*/5,0-21/4', [0, 2, 4, 5, 8, 10, 12, 15, 16, 20, 25, 30, 35, 40, 45, 50, 55]],
  ['dayOfWeek', 'fri-mon', [0, 1, 5, 6]],
  ['dayOfWeek', '*/2', [0, 2, 4, 6]],
  ['dayOfWeek', 'mon-fri', [1, 2, 3, 4, 5]],
  ['dayOfWeek', 'Sunday', [0]],
  ['dayOfWeek', 'thu,fri', [4, 5]],
  ['dayOfWeek', 'fri-mon/2', [0, 5]],
  ['dayOfWeek', 'monkey', [1]],
  ['dayOfMonth', '*/3', [1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31]],
  ['dayOfMonth', '2-30/2', [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]],
  ['dayOfMonth', '1-7,15-21', [1, 2, 3, 4, 5, 6, 7, 15, 16, 17, 18, 19, 20, 21]],
  ['dayOfMonth', '30-2', [1, 2, 30, 31]],
  ['monthOfYear', '*/3', [1, 4, 7, 10]],
  ['monthOfYear', '2-12/2', [2, 4, 6, 8, 10, 12]],
  ['monthOfYear', 'jan-mar,dec', [1, 2, 3, 12]],
  ['monthOfYear', 'nov-feb', [1, 2, 11, 12]],
  ['monthOfYear', 'September', [9]],
  ['minute', ' 5, 10 ', [5, 10]],
  ['minute', '05', [5]],
];

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('crontab field parsing', () => {
  it.each(CELERY_EXPANSIONS)('expands %s %j exactly as Celery does', (field, spec, expected) => {
    expect(crontab({ [field]: spec })[field]).toEqual(expected);
  });

  it('defaults every field to "*" and expands it to the whole range', () => {
    const c = crontab();
    expect(c.minute).toEqual(range(0, 59));
    expect(c.hour).toEqual(range(0, 23));
    expect(c.dayOfWeek).toEqual(range(0, 6));
    expect(c.dayOfMonth).toEqual(range(1, 31));
    expect(c.monthOfYear).toEqual(range(1, 12));
    expect(c.original).toEqual({ minute: '*', hour: '*', dayOfWeek: '*', dayOfMonth: '*', monthOfYear: '*' });
  });

  it('accepts numbers, arrays and sets, sorted and de-duplicated', () => {
    const c = crontab({ minute: 7, hour: [17, 8, 8], dayOfWeek: new Set([6, 0]) });
    expect(c.minute).toEqual([7]);
    expect(c.hour).toEqual([8, 17]);
    expect(c.dayOfWeek).toEqual([0, 6]);
  });

  it('keeps the original text next to the expanded values', () => {
    const c = crontab({ minute: '*/15', dayOfWeek: 'mon-fri' });
    expect(c.original.minute).toBe('*/15');
    expect(c.original.dayOfWeek).toBe('mon-fri');
    expect(c.minute).toEqual([0, 15, 30, 45]);
  });

  it.each([
    ['hour', 24, '0-23'],
    ['minute', 60, '0-59'],
    ['dayOfMonth', 0, '1-31'],
    ['monthOfYear', 13, '1-12'],
    ['dayOfWeek', 7, '0-6'],
  ] as const)('refuses %s %d, as Celery does, naming the range %s', (field, value, allowed) => {
    const error = captureError(() => crontab({ [field]: value }));
    expect(error).toBeInstanceOf(InvalidCrontabError);
    expect(error).toMatchObject({ field, text: String(value) });
    expect((error as Error).message).toContain(`is out of range ${allowed}`);
  });

  it('says which field and text are wrong and what the range is', () => {
    expect(() => crontab({ hour: '25' })).toThrow('crontab: `hour` "25" is out of range 0-23');
    expect(captureError(() => crontab({ hour: '1,25' }))).toMatchObject({ text: '25', min: 0, max: 23 });
  });

  it('tells that Sunday is 0 when day of week 7 is used', () => {
    expect(() => crontab({ dayOfWeek: '7' })).toThrow(/Sunday is 0/);
  });

  it.each([
    ['minute', '', 'empty part'],
    ['minute', '1,,2', 'empty part'],
    ['minute', '*/', 'not a valid crontab part'],
    ['minute', '*/0', 'step of 0'],
    ['minute', '-20', 'negative'],
    ['minute', '5/2', 'not a valid crontab part'],
    ['minute', '1-5-7', 'not a valid crontab part'],
    ['minute', '1-5/2/3', 'not a valid crontab part'],
    ['minute', '+5', 'not a valid crontab part'],
    ['minute', '1_0', 'not a valid crontab part'],
    ['minute', '1.5', 'not a valid crontab part'],
    ['hour', 'mon', 'uses a name'],
    ['dayOfWeek', 'mar', 'unknown name'],
    ['dayOfWeek', 'mo', 'unknown name'],
    ['monthOfYear', 'monday', 'unknown name'],
    ['monthOfYear', '0', 'out of range 1-12'],
    ['hour', '12-24', 'out of range 0-23'],
  ] as const)('refuses %s %j (%s)', (field, spec, problem) => {
    const error = captureError(() => crontab({ [field]: spec }));
    expect(error).toBeInstanceOf(InvalidCrontabError);
    expect((error as InvalidCrontabError).field).toBe(field);
    expect((error as Error).message).toContain(problem);
  });

  it('refuses numbers that are not whole, empty lists and values of the wrong type', () => {
    expect(() => crontab({ minute: 1.5 })).toThrow(InvalidCrontabError);
    expect(() => crontab({ minute: [] })).toThrow(/empty/);
    expect(() => crontab({ minute: [1, Number.NaN] })).toThrow(InvalidCrontabError);
    // A JavaScript caller without types can pass anything.
    expect(() => crontab({ minute: true as unknown as number })).toThrow(InvalidCrontabError);
  });

  it("refuses Celery's snake_case keywords and other unknown fields instead of ignoring them", () => {
    const ported = { minute: 0, hour: 7, day_of_week: 'mon' } as CrontabSpec;
    expect(() => crontab(ported)).toThrow(InvalidScheduleError);
    expect(() => crontab(ported)).toThrow("Celery's day_of_week is `dayOfWeek` here");
    expect(() => crontab({ minutes: 5 } as CrontabSpec)).toThrow(/unknown field `minutes`/);
  });

  it('refuses a cron line passed where an object is expected, pointing to fromString', () => {
    expect(() => crontab('*/5 * * * *' as CrontabSpec)).toThrow(/crontab\.fromString/);
  });

  it('refuses a crontab that can never run, such as the 30th of February', () => {
    expect(() => crontab({ dayOfMonth: '30,31', monthOfYear: 2 })).toThrow(/never occurs/);
    expect(() => crontab({ dayOfMonth: 31, monthOfYear: 'apr,jun,sep,nov' })).toThrow(InvalidCrontabError);
    expect(crontab({ dayOfMonth: 29, monthOfYear: 2 }).dayOfMonth).toEqual([29]);
  });
});

describe('crontab.fromString', () => {
  it('reads "minute hour day-of-month month day-of-week" as Celery 5.5 does', () => {
    const c = crontab.fromString('0 8 5 * *');
    expect([c.minute, c.hour, c.dayOfMonth]).toEqual([[0], [8], [5]]);
    expect(c.original).toMatchObject({
      minute: '0',
      hour: '8',
      dayOfMonth: '5',
      monthOfYear: '*',
      dayOfWeek: '*',
    });
    expect(crontab.fromString('* * * * SUN').dayOfWeek).toEqual([0]);
    expect(crontab.fromString('  30  7 * jan-mar mon-fri ').monthOfYear).toEqual([1, 2, 3]);
  });

  it('refuses anything but five fields', () => {
    expect(() => crontab.fromString('*')).toThrow(InvalidScheduleError);
    expect(() => crontab.fromString('0 0 * * * *')).toThrow(/five fields/);
  });

  it('keeps Celery day-of-week numbering, so 7 is refused', () => {
    expect(() => crontab.fromString('0 0 * * 7')).toThrow(InvalidCrontabError);
  });
});

describe('crontab matching', () => {
  const wall = { month: 1, day: 1, weekday: 0, hour: 0, minute: 0 };

  it('needs day of week AND day of month AND month, unlike Vixie cron', () => {
    const firstAndThirdMonday = crontab({ minute: 0, hour: 0, dayOfWeek: 1, dayOfMonth: '1-7,15-21' });
    expect(firstAndThirdMonday.matches({ ...wall, day: 5, weekday: 1 })).toBe(true);
    expect(firstAndThirdMonday.matches({ ...wall, day: 12, weekday: 1 })).toBe(false);
    expect(firstAndThirdMonday.matches({ ...wall, day: 6, weekday: 2 })).toBe(false);
  });

  it('checks minute and hour', () => {
    const c = crontab({ minute: '*/15', hour: '9-17' });
    expect(c.matches({ ...wall, hour: 9, minute: 45 })).toBe(true);
    expect(c.matches({ ...wall, hour: 9, minute: 46 })).toBe(false);
    expect(c.matches({ ...wall, hour: 18, minute: 0 })).toBe(false);
  });

  it('knows which fields are unrestricted, however they are written', () => {
    const c = crontab({ minute: '0-59', dayOfMonth: '1-31', dayOfWeek: 'sun-sat', hour: 3 });
    expect(c.isUnrestricted('minute')).toBe(true);
    expect(c.isUnrestricted('dayOfMonth')).toBe(true);
    expect(c.isUnrestricted('dayOfWeek')).toBe(true);
    expect(c.isUnrestricted('hour')).toBe(false);
  });
});

describe('crontab describe()', () => {
  it("prints Celery's repr: minute, hour, day of month, month, day of week as written", () => {
    // Printed by Celery 5.6.3: repr(crontab(minute='*/15', hour='0-5', day_of_week='fri-mon/2',
    // day_of_month='*/3', month_of_year='jan-mar,dec')), repr(crontab(minute=[1, 2], hour={3, 4})) and
    // repr(crontab(minute=30, hour=7, day_of_week=1)).
    expect(
      crontab({
        minute: '*/15',
        hour: '0-5',
        dayOfWeek: 'fri-mon/2',
        dayOfMonth: '*/3',
        monthOfYear: 'jan-mar,dec',
      }).describe(),
    ).toBe('<crontab: */15 0-5 */3 jan-mar,dec fri-mon/2 (m/h/dM/MY/d)>');
    expect(crontab({ minute: [1, 2], hour: new Set([3, 4]) }).describe()).toBe(
      '<crontab: [1, 2] {3, 4} * * * (m/h/dM/MY/d)>',
    );
    expect(String(crontab({ minute: 30, hour: 7, dayOfWeek: 1 }))).toBe(
      '<crontab: 30 7 * * 1 (m/h/dM/MY/d)>',
    );
  });

  it('is a schedule of kind "crontab"', () => {
    const c = crontab();
    expect(c.kind).toBe('crontab');
    expect(c).toBeInstanceOf(Crontab);
    expect(isSchedule(c)).toBe(true);
    expect(isSchedule({ kind: 'crontab' })).toBe(false);
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
