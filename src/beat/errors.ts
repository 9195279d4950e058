/**
 * Errors raised while defining periodic schedules and converting them for EventBridge Scheduler.
 */
import { CeleriacError, type CeleriacErrorOptions } from '../protocol/errors.js';

/** The five fields of a crontab, by their celeriac (camelCase) names. */
export type CrontabField = 'minute' | 'hour' | 'dayOfWeek' | 'dayOfMonth' | 'monthOfYear';

/**
 * A crontab field could not be parsed or holds a value outside its range. Celery raises `ValueError` or
 * `ParseException` for the same input.
 *
 * @example
 * crontab({ hour: '25' }); // InvalidCrontabError: crontab: `hour` "25" is out of range 0-23
 */
export class InvalidCrontabError extends CeleriacError {
  override readonly name = 'InvalidCrontabError';
  /** The field that is wrong. */
  readonly field: CrontabField;
  /** The offending text: the part of the field that failed, e.g. `25` out of `1,25`. */
  readonly text: string;
  /** Smallest value the field accepts. */
  readonly min: number;
  /** Largest value the field accepts. */
  readonly max: number;

  constructor(
    field: CrontabField,
    text: string,
    range: { min: number; max: number },
    problem: string,
    options: CeleriacErrorOptions = {},
  ) {
    super(`crontab: \`${field}\` ${JSON.stringify(text)} ${problem}`, options);
    this.field = field;
    this.text = text;
    this.min = range.min;
    this.max = range.max;
  }
}

/** A schedule definition other than a crontab field is invalid: an `every()` duration, a cron string. */
export class InvalidScheduleError extends CeleriacError {
  override readonly name = 'InvalidScheduleError';
  /** What was given, as text, e.g. `every(-5)` or `crontab.fromString("* * *")`. */
  readonly given: string;

  constructor(given: string, problem: string, options: CeleriacErrorOptions = {}) {
    super(`${given}: ${problem}`, options);
    this.given = given;
  }
}

/** A timezone name that the runtime's `Intl` does not know (schedules need an IANA name like `Europe/Berlin`). */
export class InvalidTimezoneError extends CeleriacError {
  override readonly name = 'InvalidTimezoneError';
  readonly timezone: string;

  constructor(timezone: string, options: CeleriacErrorOptions = {}) {
    super(
      `Unknown timezone ${JSON.stringify(timezone)}: use an IANA timezone name such as "UTC", ` +
        '"Europe/Berlin" or "America/New_York".',
      options,
    );
    this.timezone = timezone;
  }
}

/** Why a schedule cannot be deployed to EventBridge Scheduler. */
export const UnsupportedReason = {
  /** An `every()` interval shorter than one minute, Scheduler's shortest rate. */
  SubMinuteInterval: 'sub-minute-interval',
  /** An `every()` interval that is not a whole number of minutes. */
  FractionalMinutes: 'fractional-minutes',
  /** A crontab restricting both day of month and day of week in a way Scheduler cannot express. */
  DayOfMonthAndDayOfWeek: 'day-of-month-and-day-of-week',
} as const;

/** One of {@link UnsupportedReason}'s values. */
export type UnsupportedReason = (typeof UnsupportedReason)[keyof typeof UnsupportedReason];

/**
 * A schedule that works under the local `celeriac beat` has no exact EventBridge Scheduler equivalent.
 * celeriac refuses rather than deploy a schedule that fires at other times than the definition says.
 */
export class UnsupportedScheduleError extends CeleriacError {
  override readonly name = 'UnsupportedScheduleError';
  /** Machine-readable reason, one of {@link UnsupportedReason}. */
  readonly reason: UnsupportedReason;
  /** The schedule, as its `describe()` prints it. */
  readonly schedule: string;

  constructor(
    schedule: string,
    reason: UnsupportedReason,
    explanation: string,
    options: CeleriacErrorOptions = {},
  ) {
    super(`Cannot deploy ${schedule} to EventBridge Scheduler: ${explanation}`, options);
    this.schedule = schedule;
    this.reason = reason;
  }
}
