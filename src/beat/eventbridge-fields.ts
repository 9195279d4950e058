/**
 * Rendering of expanded crontab fields as EventBridge Scheduler cron fields, in their most compact exact form.
 *
 * EventBridge cron syntax (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html):
 * `cron(minutes hours day-of-month month day-of-week year)`; minutes 0-59, hours 0-23, day-of-month 1-31,
 * month 1-12, day-of-week 1-7 with 1 = SUN or names SUN-SAT; `,` lists, `-` ranges, `*` all, `a/s` every s-th
 * value from a (minutes, hours, day-of-month, month only: day-of-week has no `/`), `?` "any" in exactly one
 * of day-of-month and day-of-week, `N#k` the k-th weekday N of the month (one per expression).
 */

/** EventBridge's day-of-week names, indexed by Celery's day number (Sunday = 0). */
const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

/** Splits sorted values into runs of consecutive values. */
function runs(values: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const value of values) {
    const last = out.at(-1);
    if (last !== undefined && value === last[1] + 1) last[1] = value;
    else out.push([value, value]);
  }
  return out;
}

/** Lists values, writing runs of three or more as ranges (`0,2-4,6`). */
function listForm(values: readonly number[], label: (value: number) => string): string {
  const parts: string[] = [];
  for (const [from, to] of runs(values)) {
    if (to - from >= 2) parts.push(`${label(from)}-${label(to)}`);
    else for (let v = from; v <= to; v += 1) parts.push(label(v));
  }
  return parts.join(',');
}

/**
 * The `a/s` form when the values are exactly a, a+s, a+2s, ... up to the field's maximum, else undefined.
 * Quartz-style `a/s` (the form in AWS's own examples, `0/15`) always runs to the end of the field.
 */
function stepForm(values: readonly number[], max: number): string | undefined {
  const [first, second] = values;
  if (first === undefined || second === undefined) return undefined;
  const step = second - first;
  if (step < 2) return undefined;
  for (let i = 0; i < values.length; i += 1) {
    if (values[i] !== first + i * step) return undefined;
  }
  const last = values.at(-1) ?? first;
  return last + step > max ? `${first}/${step}` : undefined;
}

/**
 * A numeric field (minutes, hours, day of month, month) in its shortest exact form: `*`, `a/s`, or a list
 * with ranges. Values must be sorted, unique and within `min`-`max`.
 *
 * @example
 * numericField([0, 15, 30, 45], 0, 59); // '0/15'
 * numericField([0, 2, 3, 4, 6], 0, 23); // '0,2-4,6'
 */
export function numericField(values: readonly number[], min: number, max: number): string {
  if (values.length === max - min + 1) return '*';
  const list = listForm(values, String);
  const step = stepForm(values, max);
  return step !== undefined && step.length < list.length ? step : list;
}

/**
 * A day-of-week field from Celery day numbers (Sunday = 0): `*` for all, else names with ranges
 * (`MON-FRI`, `SUN,SAT`). Names avoid any doubt about EventBridge's 1 = SUN numbering.
 */
export function weekdayField(celeryDays: readonly number[]): string {
  if (celeryDays.length === 7) return '*';
  return listForm(celeryDays, (day) => WEEKDAY_NAMES[day] ?? String(day));
}

/** `N#k`: the k-th (1-5) weekday of the month, N in EventBridge numbering (1 = SUN), from a Celery day. */
export function nthWeekdayField(celeryDay: number, nth: number): string {
  return `${celeryDay + 1}#${nth}`;
}
