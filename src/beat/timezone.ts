/**
 * IANA timezones for schedules: validation, and the wall-clock reading of an instant in a timezone.
 */
import { InvalidTimezoneError } from './errors.js';

/** The timezone schedules are evaluated in when none is given, as Celery's `enable_utc` default. */
export const DEFAULT_TIMEZONE = 'UTC';

/** The local date and time of an instant in some timezone; `weekday` uses Celery's numbering (Sunday = 0). */
export interface WallClock {
  /** Full year, e.g. 2026. */
  readonly year: number;
  /** 1-12. */
  readonly month: number;
  /** 1-31. */
  readonly day: number;
  /** 0-23. */
  readonly hour: number;
  /** 0-59. */
  readonly minute: number;
  /** 0-59. */
  readonly second: number;
  /** 0 = Sunday ... 6 = Saturday, as Celery's `day_of_week`. */
  readonly weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (error) {
      throw InvalidTimezoneError.of(timezone, { cause: error });
    }
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/**
 * Throws {@link InvalidTimezoneError} unless `timezone` is an IANA timezone name the runtime knows, spelled as
 * the database spells it (not `europe/berlin`, not an offset such as `+05:00`), and returns it unchanged (it is
 * passed as is to EventBridge Scheduler's `ScheduleExpressionTimezone`).
 *
 * @example
 * assertTimezone('Europe/Berlin'); // 'Europe/Berlin'
 */
export function assertTimezone(timezone: string): string {
  if (typeof timezone !== 'string' || timezone.length === 0) {
    throw InvalidTimezoneError.of(String(timezone));
  }
  // UTC, the default, needs no formatter: building the first one loads the timezone data, tens of milliseconds
  // of a Lambda worker's cold start for an app that only defines periodic tasks.
  if (timezone === DEFAULT_TIMEZONE) return timezone;
  // The runtime also takes UTC offsets and names in any case; EventBridge Scheduler takes IANA names as written.
  if (/^[+-]/.test(timezone)) throw InvalidTimezoneError.offset(timezone);
  const known = formatterFor(timezone).resolvedOptions().timeZone;
  if (known !== timezone && known.toLowerCase() === timezone.toLowerCase()) {
    throw InvalidTimezoneError.spelled(timezone, known);
  }
  return timezone;
}

/** The wall-clock date and time that `instant` shows in `timezone`. */
export function wallClock(instant: Date, timezone: string): WallClock {
  if (timezone === DEFAULT_TIMEZONE) {
    return {
      year: instant.getUTCFullYear(),
      month: instant.getUTCMonth() + 1,
      day: instant.getUTCDate(),
      hour: instant.getUTCHours(),
      minute: instant.getUTCMinutes(),
      second: instant.getUTCSeconds(),
      weekday: instant.getUTCDay(),
    };
  }
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timezone).formatToParts(instant)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const year = fields.year ?? Number.NaN;
  const month = fields.month ?? Number.NaN;
  const day = fields.day ?? Number.NaN;
  return {
    year,
    month,
    day,
    hour: fields.hour ?? Number.NaN,
    minute: fields.minute ?? Number.NaN,
    second: fields.second ?? Number.NaN,
    // The civil date's weekday does not depend on the timezone once the date is known.
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
  };
}

/** Milliseconds `timezone` is ahead of UTC at `instant` (e.g. 3_600_000 for Berlin in winter). */
export function utcOffsetMs(instant: Date, timezone: string): number {
  const w = wallClock(instant, timezone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}
