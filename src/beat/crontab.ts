/**
 * Celery's `crontab` schedule: minute, hour, day of week, day of month and month of year.
 *
 * Semantics are Celery's (`celery.schedules.crontab`), not Vixie cron's:
 * - day of week is 0-6 with Sunday = 0; 7 is refused.
 * - a day matches only if its day of week AND day of month AND month all match. Vixie cron ORs day of month
 *   and day of week when both are restricted; Celery does not.
 * - times are read on the wall clock of the schedule's timezone (UTC unless one is given where the schedule is
 *   evaluated or deployed).
 */
import { type Cronspec, FIELD_RULES, parseCronField } from './crontab-parser.js';
import { type CrontabField, InvalidCrontabError, InvalidScheduleError } from './errors.js';
import type { WallClock } from './timezone.js';

export type { Cronspec } from './crontab-parser.js';

/** The fields of a crontab, each optional and `'*'` when left out. Same meaning as Celery's keyword arguments. */
export interface CrontabSpec {
  /** Minutes of the hour, 0-59 (Celery `minute`). */
  readonly minute?: Cronspec;
  /** Hours of the day, 0-23 (Celery `hour`). */
  readonly hour?: Cronspec;
  /** Days of the week, 0-6 with Sunday = 0, or names `sun`..`sat` (Celery `day_of_week`). */
  readonly dayOfWeek?: Cronspec;
  /** Days of the month, 1-31 (Celery `day_of_month`). */
  readonly dayOfMonth?: Cronspec;
  /** Months, 1-12, or names `jan`..`dec` (Celery `month_of_year`). */
  readonly monthOfYear?: Cronspec;
}

/** Longest possible month, February counted with its leap day. */
const MONTH_LENGTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Days in `month` (1-12), February counted as 29: the most days that month can have. */
export function maxDaysInMonth(month: number): number {
  return MONTH_LENGTH[month - 1] ?? 31;
}

/** Celery's keyword names, for a helpful error when Python code is ported as is. */
const CELERY_NAMES: Readonly<Record<string, CrontabField>> = {
  day_of_week: 'dayOfWeek',
  day_of_month: 'dayOfMonth',
  month_of_year: 'monthOfYear',
};

const FIELDS: readonly CrontabField[] = ['minute', 'hour', 'dayOfWeek', 'dayOfMonth', 'monthOfYear'];

/** Refuses what is not a spec object and keys that are not fields, which would otherwise be ignored silently. */
function assertSpec(spec: unknown): asserts spec is CrontabSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw InvalidScheduleError.of(
      `crontab(${JSON.stringify(spec)})`,
      'expected an object such as { minute: 0, hour: 7 }; for a cron line use crontab.fromString("0 7 * * *")',
    );
  }
  for (const key of Object.keys(spec)) {
    if ((FIELDS as readonly string[]).includes(key)) continue;
    const hint = CELERY_NAMES[key] === undefined ? '' : `; Celery's ${key} is \`${CELERY_NAMES[key]}\` here`;
    throw InvalidScheduleError.of(
      `crontab({ ${key}: ... })`,
      `unknown field \`${key}\`; the fields are ${FIELDS.join(', ')}${hint}`,
    );
  }
}

function pythonRepr(spec: Cronspec): string {
  if (typeof spec === 'string' || typeof spec === 'number') return String(spec);
  const values = [...spec].join(', ');
  return Array.isArray(spec) ? `[${values}]` : `{${values}}`;
}

/**
 * A crontab schedule. Build one with {@link crontab} or `crontab.fromString`.
 *
 * The expanded fields are sorted arrays of the values that match, as Celery's `crontab.minute` etc. are sets;
 * `original` keeps what was written.
 */
export class Crontab {
  /** Discriminator of the {@link Schedule} union. */
  readonly kind = 'crontab' as const;
  /** The fields as written (`'*'` for those left out), for display and round trips. */
  readonly original: Readonly<Record<CrontabField, Cronspec>>;
  /** Minutes that match, sorted. */
  readonly minute: readonly number[];
  /** Hours that match, sorted. */
  readonly hour: readonly number[];
  /** Days of the week that match, sorted, Sunday = 0. */
  readonly dayOfWeek: readonly number[];
  /** Days of the month that match, sorted. */
  readonly dayOfMonth: readonly number[];
  /** Months that match, sorted. */
  readonly monthOfYear: readonly number[];

  readonly #sets: Readonly<Record<CrontabField, ReadonlySet<number>>>;

  /** Prefer {@link crontab}; this constructor takes the same spec. */
  constructor(spec: CrontabSpec = {}) {
    assertSpec(spec);
    const original = {
      minute: spec.minute ?? '*',
      hour: spec.hour ?? '*',
      dayOfWeek: spec.dayOfWeek ?? '*',
      dayOfMonth: spec.dayOfMonth ?? '*',
      monthOfYear: spec.monthOfYear ?? '*',
    };
    this.original = Object.freeze(original);
    this.minute = Object.freeze(parseCronField('minute', original.minute));
    this.hour = Object.freeze(parseCronField('hour', original.hour));
    this.dayOfWeek = Object.freeze(parseCronField('dayOfWeek', original.dayOfWeek));
    this.dayOfMonth = Object.freeze(parseCronField('dayOfMonth', original.dayOfMonth));
    this.monthOfYear = Object.freeze(parseCronField('monthOfYear', original.monthOfYear));
    this.#sets = {
      minute: new Set(this.minute),
      hour: new Set(this.hour),
      dayOfWeek: new Set(this.dayOfWeek),
      dayOfMonth: new Set(this.dayOfMonth),
      monthOfYear: new Set(this.monthOfYear),
    };
    this.#assertSomeDayMatches();
  }

  /**
   * Celery fails at run time ("unable to rollover, time specification is probably invalid") when no date can
   * ever match, such as the 30th of February; refuse such a crontab when it is defined. Every weekday falls on
   * every possible day of every month over the years, so only day of month against month decides it.
   */
  #assertSomeDayMatches(): void {
    const firstDay = this.dayOfMonth[0] ?? 1;
    if (this.monthOfYear.some((month) => firstDay <= maxDaysInMonth(month))) return;
    const rule = FIELD_RULES.dayOfMonth;
    throw InvalidCrontabError.of(
      'dayOfMonth',
      String(this.original.dayOfMonth),
      rule,
      `never occurs in \`monthOfYear\` ${JSON.stringify(String(this.original.monthOfYear))}, so the ` +
        'schedule would never run; check the day and month',
    );
  }

  /** True when the day (month, day of month and weekday together, as Celery ANDs them) matches. */
  matchesDay(day: Pick<WallClock, 'month' | 'day' | 'weekday'>): boolean {
    return (
      this.#sets.monthOfYear.has(day.month) &&
      this.#sets.dayOfMonth.has(day.day) &&
      this.#sets.dayOfWeek.has(day.weekday)
    );
  }

  /** True when a wall-clock minute matches every field (seconds are ignored). */
  matches(time: Pick<WallClock, 'month' | 'day' | 'weekday' | 'hour' | 'minute'>): boolean {
    return this.#sets.hour.has(time.hour) && this.#sets.minute.has(time.minute) && this.matchesDay(time);
  }

  /** True when the field matches every value in its range (`'*'` or an equivalent such as `'0-59'`). */
  isUnrestricted(field: CrontabField): boolean {
    const rule = FIELD_RULES[field];
    return this.#sets[field].size === rule.max - rule.min + 1;
  }

  /**
   * Celery's `repr`, e.g. `<crontab: 30 7 * * 1 (m/h/dM/MY/d)>`, fields in the order minute, hour, day of
   * month, month of year, day of week, as written.
   */
  describe(): string {
    const o = this.original;
    const fields = [o.minute, o.hour, o.dayOfMonth, o.monthOfYear, o.dayOfWeek].map(pythonRepr);
    return `<crontab: ${fields.join(' ')} (m/h/dM/MY/d)>`;
  }

  /** Same as {@link Crontab.describe}. */
  toString(): string {
    return this.describe();
  }
}

/**
 * A Celery-style crontab schedule. Every field defaults to `'*'`.
 *
 * @example
 * crontab({ minute: 30, hour: 7, dayOfWeek: 'mon' }); // Mondays at 07:30
 * crontab({ minute: 0, hour: '*\/3' }); // every three hours on the hour
 * crontab({ minute: 0, hour: 9, dayOfWeek: 'mon', dayOfMonth: '1-7' }); // the first Monday of each month
 */
export function crontab(spec: CrontabSpec = {}): Crontab {
  return new Crontab(spec);
}

/**
 * A crontab from the five fields of a cron line, `minute hour day-of-month month day-of-week`, the order of
 * Celery's `crontab.from_string` (5.5+). Fields keep Celery's meaning: day of week 0-6 with Sunday = 0, and
 * day of month ANDed with day of week.
 *
 * @example
 * crontab.fromString('0 8 5 * *'); // 08:00 on the 5th of each month
 */
crontab.fromString = function fromString(line: string): Crontab {
  const fields = typeof line === 'string' ? line.trim().split(/\s+/) : [];
  if (fields.length !== 5) {
    throw InvalidScheduleError.of(
      `crontab.fromString(${JSON.stringify(line)})`,
      'expected five fields separated by spaces: "minute hour day-of-month month day-of-week", e.g. "0 8 * * mon"',
    );
  }
  const [minute, hour, dayOfMonth, monthOfYear, dayOfWeek] = fields;
  return new Crontab({ minute, hour, dayOfMonth, monthOfYear, dayOfWeek });
};
