/**
 * The schedules a periodic task can have.
 */
import { Crontab } from './crontab.js';
import { InvalidScheduleError } from './errors.js';
import { Every } from './every.js';

/**
 * A periodic schedule: a {@link Crontab} (`kind: 'crontab'`) or an interval {@link Every} (`kind: 'every'`).
 * Switch on `kind`; `describe()` prints it as Celery's `repr` does.
 *
 * @example
 * function label(schedule: Schedule): string {
 *   return schedule.kind === 'crontab' ? `cron ${schedule.describe()}` : `every ${schedule.seconds}s`;
 * }
 */
export type Schedule = Crontab | Every;

/** The values of {@link Schedule}'s `kind`. */
export const ScheduleKind = { Crontab: 'crontab', Every: 'every' } as const;

/** One of {@link ScheduleKind}'s values. */
export type ScheduleKind = Schedule['kind'];

/** True for a {@link Crontab} or {@link Every} built by this package. */
export function isSchedule(value: unknown): value is Schedule {
  return value instanceof Crontab || value instanceof Every;
}

/** Throws {@link InvalidScheduleError} for a value that is not a schedule (exhaustiveness guard on `kind`). */
export function unknownSchedule(value: never): never {
  throw InvalidScheduleError.of(
    String(value),
    'not a celeriac schedule; build one with crontab() or every()',
  );
}
