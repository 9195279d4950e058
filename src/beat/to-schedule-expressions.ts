/**
 * Exact conversion of celeriac schedules to EventBridge Scheduler schedule expressions.
 *
 * Sources for the rules applied here:
 * - cron and rate syntax, `?`, `#`, DST: https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 * - wildcards per field: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html
 * - `ScheduleExpression` is 1-256 characters, `ScheduleExpressionTimezone` 1-50 (Scheduler's Smithy model,
 *   `com.amazonaws.scheduler#ScheduleExpression`).
 */
import type { Crontab } from './crontab.js';
import { maxDaysInMonth } from './crontab.js';
import { InvalidScheduleError, UnsupportedReason, UnsupportedScheduleError } from './errors.js';
import { nthWeekdayField, numericField, weekdayField } from './eventbridge-fields.js';
import type { Every } from './every.js';
import { type Schedule, unknownSchedule } from './schedule.js';
import { assertTimezone, DEFAULT_TIMEZONE } from './timezone.js';

/** The longest `ScheduleExpression` EventBridge Scheduler accepts. */
export const MAX_SCHEDULE_EXPRESSION_LENGTH = 256;

/** Room for the longest expression that cannot be split (every field a single value). */
const MIN_EXPRESSION_LENGTH = 32;

/** One EventBridge Scheduler schedule: the `ScheduleExpression` and its `ScheduleExpressionTimezone`. */
export interface ScheduleExpression {
  /** `cron(minutes hours day-of-month month day-of-week year)` or `rate(value unit)`. */
  readonly expression: string;
  /** IANA timezone the expression is evaluated in, as given (validated with `Intl`). */
  readonly timezone: string;
}

/** Options of {@link toScheduleExpressions}. */
export interface ToScheduleExpressionsOptions {
  /** IANA timezone the schedule is evaluated in; default `UTC`. */
  readonly timezone?: string;
  /**
   * Longest expression to produce (at least 32); longer ones are split into several schedules whose union is
   * exact. Default {@link MAX_SCHEDULE_EXPRESSION_LENGTH}, Scheduler's limit, which no crontab is known to
   * reach (the longest found are about 240 characters).
   */
  readonly maxExpressionLength?: number;
}

/** The day-of-month and day-of-week fields of one expression (exactly one of them is `?`). */
interface DayFields {
  readonly dayOfMonth: readonly number[] | '*' | '?';
  readonly dayOfWeek: readonly number[] | '?' | { readonly weekday: number; readonly nth: number };
}

/** One cron expression before rendering. */
interface CronParts extends DayFields {
  readonly minute: readonly number[];
  readonly hour: readonly number[];
  readonly month: readonly number[];
}

const LOCAL_BEAT_STILL_WORKS =
  'The schedule still works under the local `celeriac beat`, but cannot be deployed.';

function render(parts: CronParts): string {
  const dom = typeof parts.dayOfMonth === 'string' ? parts.dayOfMonth : numericField(parts.dayOfMonth, 1, 31);
  const dow = parts.dayOfWeek;
  const dowText =
    dow === '?' ? '?' : 'nth' in dow ? nthWeekdayField(dow.weekday, dow.nth) : weekdayField(dow);
  const fields = [
    numericField(parts.minute, 0, 59),
    numericField(parts.hour, 0, 23),
    dom,
    numericField(parts.month, 1, 12),
    dowText,
    '*',
  ];
  return `cron(${fields.join(' ')})`;
}

/**
 * Which of the week blocks 1-7, 8-14, 15-21, 22-28, 29-31 the days cover, if the days are exactly a union of
 * whole blocks of a month with `monthLength` days; otherwise undefined. Block k holds exactly the days on
 * which a weekday occurs for the k-th time in the month, so "block k AND weekday W" is EventBridge's `W#k`.
 */
function weekBlocks(days: readonly number[], monthLength: number): number[] | undefined {
  const set = new Set(days);
  const blocks: number[] = [];
  for (let nth = 1; (nth - 1) * 7 + 1 <= monthLength; nth += 1) {
    const first = (nth - 1) * 7 + 1;
    const last = Math.min(nth * 7, monthLength);
    let covered = 0;
    for (let day = first; day <= last; day += 1) if (set.has(day)) covered += 1;
    if (covered === last - first + 1) blocks.push(nth);
    else if (covered !== 0) return undefined;
  }
  return blocks;
}

function nthDays(weekdays: readonly number[], blocks: readonly number[]): DayFields[] {
  return weekdays.flatMap((weekday) =>
    blocks.map((nth) => ({ dayOfMonth: '?' as const, dayOfWeek: { weekday, nth } })),
  );
}

/**
 * Day fields for each group of months. Celery ANDs day of month and day of week; EventBridge lets only one be
 * restricted, so when both are, the only exact form is "n-th weekday of the month" (`W#n`, one expression
 * each). Days past a month's end never match in either system, so each month is also tried with only the
 * days it has: `dayOfMonth: '1-29', monthOfYear: 2` covers all of February and needs no day-of-month field.
 */
function planDays(schedule: Crontab): { months: number[]; days: DayFields[] }[] | UnsupportedScheduleError {
  const months = [...schedule.monthOfYear];
  const weekdays = schedule.dayOfWeek;
  const daysOfMonth = schedule.dayOfMonth;
  if (schedule.isUnrestricted('dayOfWeek')) {
    const dayOfMonth = schedule.isUnrestricted('dayOfMonth') ? '*' : daysOfMonth;
    return [{ months, days: [{ dayOfMonth, dayOfWeek: '?' }] }];
  }
  if (schedule.isUnrestricted('dayOfMonth')) {
    return [{ months, days: [{ dayOfMonth: '?', dayOfWeek: weekdays }] }];
  }
  const blocks = weekBlocks(daysOfMonth, 31);
  if (blocks !== undefined) return [{ months, days: nthDays(weekdays, blocks) }];

  const groups = new Map<string, { months: number[]; days: DayFields[] }>();
  for (const month of months) {
    const length = maxDaysInMonth(month);
    const inMonth = daysOfMonth.filter((day) => day <= length);
    if (inMonth.length === 0) continue;
    let days: DayFields[];
    if (inMonth.length === length) {
      days = [{ dayOfMonth: '?', dayOfWeek: weekdays }];
    } else {
      const monthBlocks = weekBlocks(inMonth, length);
      if (monthBlocks === undefined) return refuseDays(schedule);
      days = nthDays(weekdays, monthBlocks);
    }
    const key = JSON.stringify(days);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { months: [month], days });
    else group.months.push(month);
  }
  return [...groups.values()];
}

function refuseDays(schedule: Crontab): UnsupportedScheduleError {
  const o = schedule.original;
  return UnsupportedScheduleError.of(
    schedule.describe(),
    UnsupportedReason.DayOfMonthAndDayOfWeek,
    `dayOfMonth ${JSON.stringify(String(o.dayOfMonth))} and dayOfWeek ${JSON.stringify(String(o.dayOfWeek))} ` +
      'are both restricted, and Celery runs only on days that match both. EventBridge Scheduler lets only one ' +
      'of day-of-month and day-of-week be set; the only such combination it can express is "the n-th weekday ' +
      'of the month", when dayOfMonth is made of whole weeks 1-7, 8-14, 15-21, 22-28 or 29-31. Restrict only ' +
      'one of the two fields (and check the other inside the task), or use those week ranges. ' +
      LOCAL_BEAT_STILL_WORKS,
  );
}

type SplittableField = 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'dayOfWeek';

const FIELD_BOUNDS = { minute: [0, 59], hour: [0, 23], dayOfMonth: [1, 31], month: [1, 12] } as const;

function fieldText(field: SplittableField, values: readonly number[]): string {
  if (field === 'dayOfWeek') return weekdayField(values);
  const [min, max] = FIELD_BOUNDS[field];
  return numericField(values, min, max);
}

/**
 * Splits the field with the longest text in two until every expression fits `maxLength`: a cron expression
 * matches the union of the expressions made by splitting any one field's values, so the split is exact.
 */
function fitLength(parts: CronParts, maxLength: number): CronParts[] {
  if (render(parts).length <= maxLength) return [parts];
  let widest: { field: SplittableField; values: readonly number[]; width: number } | undefined;
  for (const field of ['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'] as const) {
    const values = parts[field];
    if (!Array.isArray(values) || values.length < 2) continue;
    const width = fieldText(field, values).length;
    if (widest === undefined || width > widest.width) widest = { field, values, width };
  }
  // Every field is a single value: the expression is at most 22 characters, under any allowed maximum.
  if (widest === undefined) return [parts];
  const half = Math.ceil(widest.values.length / 2);
  return [
    ...fitLength({ ...parts, [widest.field]: widest.values.slice(0, half) }, maxLength),
    ...fitLength({ ...parts, [widest.field]: widest.values.slice(half) }, maxLength),
  ];
}

function crontabExpressions(schedule: Crontab, maxLength: number): string[] {
  const plan = planDays(schedule);
  if (plan instanceof UnsupportedScheduleError) throw plan;
  return plan.flatMap(({ months, days }) =>
    days.flatMap((day) =>
      fitLength({ minute: schedule.minute, hour: schedule.hour, month: months, ...day }, maxLength).map(
        render,
      ),
    ),
  );
}

const RATE_UNITS = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
] as const;

/**
 * `rate(value unit)` for an interval of whole minutes, in the largest unit that divides it.
 *
 * A Scheduler rate counts from the schedule's creation (or its `StartDate`), and a rate in days is 24 hours
 * whatever DST does; Celery's interval counts from the last run. The local beat anchors slots at the Unix epoch
 * (see {@link Every}); to line a deployed rate up with the local slots, give the schedule a `StartDate` on one
 * of them (`nextSlotAfter(schedule, new Date())`).
 */
function rateExpression(schedule: Every): string {
  const ms = schedule.intervalMs;
  if (ms < 60_000) {
    throw UnsupportedScheduleError.of(
      schedule.describe(),
      UnsupportedReason.SubMinuteInterval,
      `its interval is ${schedule.seconds} seconds, and Scheduler's shortest rate is one minute. ` +
        `${LOCAL_BEAT_STILL_WORKS} Use every({ minutes: 1 }) or longer to deploy it.`,
    );
  }
  for (const [unit, size] of RATE_UNITS) {
    if (ms % size === 0) {
      const value = ms / size;
      return `rate(${value} ${unit}${value === 1 ? '' : 's'})`;
    }
  }
  const lower = Math.floor(ms / 60_000);
  throw UnsupportedScheduleError.of(
    schedule.describe(),
    UnsupportedReason.FractionalMinutes,
    `its interval is ${schedule.seconds} seconds, not a whole number of minutes, and Scheduler's rate() ` +
      `takes whole minutes, hours or days. ${LOCAL_BEAT_STILL_WORKS} Use every({ minutes: ${lower} }) or ` +
      `every({ minutes: ${lower + 1} }) to deploy it.`,
  );
}

/**
 * The EventBridge Scheduler schedules that fire exactly when `schedule` is due, each with its timezone.
 *
 * A crontab becomes one `cron(...)` expression, or several when it means "the n-th weekday(s) of the month"
 * (Scheduler allows one `#` per expression) or when months need different day fields. An `every()` of whole
 * minutes, hours or days becomes `rate(...)`. Anything else throws {@link UnsupportedScheduleError} with a
 * `reason` and what to do instead; the meaning of a schedule is never changed.
 *
 * In a timezone with DST, Scheduler skips a time that does not exist (spring forward) and runs a repeated
 * time once (fall back); the local beat's `dueSlots` does the same.
 *
 * A `rate()` counts from the schedule's creation (or its `StartDate`), not from the last run as Celery's
 * interval does, nor from the Unix epoch as the local beat's slots do; set the schedule's `StartDate` to a
 * local slot (`nextSlotAfter(schedule, new Date())`) to make both fire at the same times.
 *
 * @example
 * toScheduleExpressions(crontab({ minute: 30, hour: 7, dayOfWeek: 'mon' }), { timezone: 'Europe/Berlin' });
 * // [{ expression: 'cron(30 7 ? * MON *)', timezone: 'Europe/Berlin' }]
 * toScheduleExpressions(crontab({ minute: 0, hour: 9, dayOfWeek: 'mon,fri', dayOfMonth: '1-7' }));
 * // cron(0 9 ? * 2#1 *) and cron(0 9 ? * 6#1 *), in UTC
 */
export function toScheduleExpressions(
  schedule: Schedule,
  options: ToScheduleExpressionsOptions = {},
): ScheduleExpression[] {
  const timezone = assertTimezone(options.timezone ?? DEFAULT_TIMEZONE);
  const maxLength = options.maxExpressionLength ?? MAX_SCHEDULE_EXPRESSION_LENGTH;
  if (!Number.isInteger(maxLength) || maxLength < MIN_EXPRESSION_LENGTH) {
    throw InvalidScheduleError.of(
      `toScheduleExpressions(${schedule.describe()}, { maxExpressionLength: ${maxLength} })`,
      `maxExpressionLength must be a whole number >= ${MIN_EXPRESSION_LENGTH}`,
    );
  }
  let expressions: string[];
  switch (schedule.kind) {
    case 'crontab':
      expressions = crontabExpressions(schedule, maxLength);
      break;
    case 'every':
      expressions = [rateExpression(schedule)];
      break;
    default:
      return unknownSchedule(schedule);
  }
  return expressions.map((expression) => ({ expression, timezone }));
}
