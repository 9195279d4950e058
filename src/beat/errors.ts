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
    message: string,
    options: CeleriacErrorOptions & {
      readonly field: CrontabField;
      readonly text: string;
      readonly min: number;
      readonly max: number;
    },
  ) {
    super(message, options);
    this.field = options.field;
    this.text = options.text;
    this.min = options.min;
    this.max = options.max;
  }

  /** ``crontab: `<field>` "<text>" <problem>``. */
  static of(
    field: CrontabField,
    text: string,
    range: { min: number; max: number },
    problem: string,
    options: CeleriacErrorOptions = {},
  ): InvalidCrontabError {
    return new InvalidCrontabError(`crontab: \`${field}\` ${JSON.stringify(text)} ${problem}`, {
      ...options,
      field,
      text,
      min: range.min,
      max: range.max,
    });
  }
}

/** A schedule definition other than a crontab field is invalid: an `every()` duration, a cron string. */
export class InvalidScheduleError extends CeleriacError {
  override readonly name = 'InvalidScheduleError';
  /** What was given, as text, e.g. `every(-5)` or `crontab.fromString("* * *")`. */
  readonly given: string;

  constructor(message: string, options: CeleriacErrorOptions & { readonly given: string }) {
    super(message, options);
    this.given = options.given;
  }

  /** ``<given>: <problem>``. */
  static of(given: string, problem: string, options: CeleriacErrorOptions = {}): InvalidScheduleError {
    return new InvalidScheduleError(`${given}: ${problem}`, { ...options, given });
  }
}

/** A timezone name that the runtime's `Intl` does not know (schedules need an IANA name like `Europe/Berlin`). */
export class InvalidTimezoneError extends CeleriacError {
  override readonly name = 'InvalidTimezoneError';
  readonly timezone: string;

  constructor(message: string, options: CeleriacErrorOptions & { readonly timezone: string }) {
    super(message, options);
    this.timezone = options.timezone;
  }

  /** `timezone` is unknown, with examples of names that work. */
  static of(timezone: string, options: CeleriacErrorOptions = {}): InvalidTimezoneError {
    return new InvalidTimezoneError(
      `Unknown timezone ${JSON.stringify(timezone)}: use an IANA timezone name such as "UTC", ` +
        '"Europe/Berlin" or "America/New_York".',
      { ...options, timezone },
    );
  }

  /** `timezone` is a UTC offset, which EventBridge Scheduler does not take. */
  static offset(timezone: string): InvalidTimezoneError {
    return new InvalidTimezoneError(
      `Timezone ${JSON.stringify(timezone)} is a UTC offset: use an IANA timezone name, such as "Asia/Kolkata" ` +
        '(for a fixed offset, "Etc/GMT-5" is UTC+5, with the sign reversed as the database writes it).',
      { timezone },
    );
  }

  /** `timezone` names a known zone in another case than the database's. */
  static spelled(timezone: string, known: string): InvalidTimezoneError {
    return new InvalidTimezoneError(
      `Timezone ${JSON.stringify(timezone)} is spelled ${JSON.stringify(known)} in the IANA database, as EventBridge ` +
        'Scheduler takes it.',
      { timezone },
    );
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
    message: string,
    options: CeleriacErrorOptions & { readonly schedule: string; readonly reason: UnsupportedReason },
  ) {
    super(message, options);
    this.schedule = options.schedule;
    this.reason = options.reason;
  }

  /** ``Cannot deploy <schedule> to EventBridge Scheduler: <explanation>``. */
  static of(
    schedule: string,
    reason: UnsupportedReason,
    explanation: string,
    options: CeleriacErrorOptions = {},
  ): UnsupportedScheduleError {
    return new UnsupportedScheduleError(
      `Cannot deploy ${schedule} to EventBridge Scheduler: ${explanation}`,
      {
        ...options,
        schedule,
        reason,
      },
    );
  }
}
