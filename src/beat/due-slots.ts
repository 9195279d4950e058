/**
 * Which slots of a schedule are due, for the local `celeriac beat` (EventBridge Scheduler fires deployed
 * schedules itself).
 *
 * A slot is a scheduled time. It is identified by {@link slotId}, the same string EventBridge Scheduler puts in
 * `<aws.scheduler.scheduled-time>`, so the task id derived from a schedule's name and a slot is the same
 * whichever host fires it, and a slot fired twice (a restart, a retry) is recognised as one.
 *
 * DST follows EventBridge Scheduler (https://repost.aws/knowledge-center/eventbridge-scheduler-adjust-dst):
 * a wall-clock time that does not exist on a spring-forward day is skipped, and a wall-clock time that occurs
 * twice on a fall-back day fires once, at its first occurrence. croner, which finds the candidate times, would
 * instead run a fixed-time job just after the gap and an interval job on both passes of the repeated hour;
 * those candidates are dropped here.
 */
import { Cron } from 'croner';
import type { Crontab } from './crontab.js';
import { InvalidScheduleError } from './errors.js';
import type { Every } from './every.js';
import { type Schedule, unknownSchedule } from './schedule.js';
import { assertTimezone, DEFAULT_TIMEZONE, utcOffsetMs, wallClock } from './timezone.js';

/** Input of {@link dueSlots}. */
export interface DueSlotsInput {
  readonly schedule: Schedule;
  /** IANA timezone a crontab is read in; default `UTC`. Intervals do not depend on it. */
  readonly timezone?: string;
  /** The last slot already fired (its scheduled time), or undefined on first start. */
  readonly lastFired?: Date;
  /** The current time. */
  readonly now: Date;
  /** How late a slot may still be fired: slots scheduled before `now - catchUpWindowMs` are skipped. */
  readonly catchUpWindowMs: number;
  /** At most this many slots are returned, the most recent ones; default 1000. */
  readonly maxSlots?: number;
}

/** Options of {@link nextSlotAfter}. */
export interface NextSlotOptions {
  /** IANA timezone a crontab is read in; default `UTC`. */
  readonly timezone?: string;
}

/**
 * How far past `after` a crontab whose candidates are all rejected (each one in a DST gap or a repeated hour) is
 * searched before it is called one that never fires again: 400 years, the Gregorian calendar's cycle, within
 * which every combination of day of month, month and weekday recurs, and the time zone's rules (projected the
 * same every future year) with it. croner alone would walk every year to 9999, a third of a second for a yearly
 * gap time.
 */
const NEVER_HORIZON_MS = 400 * 365.2425 * 86_400_000;
const THREE_HOURS_MS = 3 * 3_600_000;

/** croner for one crontab and time zone, and from when on it is known to fire no more. */
interface CronEntry {
  readonly cron: Cron;
  /** A search from this instant found no slot, so none from a later one will; `Infinity` until then. */
  neverAfterMs: number;
}

const cronCache = new WeakMap<Crontab, Map<string, CronEntry>>();

function cronField(values: readonly number[], size: number): string {
  return values.length === size ? '*' : values.join(',');
}

/**
 * croner evaluating the crontab's expanded fields in `timezone`. Celery and standard cron both number weekdays
 * 0-6 from Sunday, so the day-of-week values carry over unchanged; `domAndDow` gives Celery's AND of day of
 * month and day of week.
 */
function cronFor(schedule: Crontab, timezone: string): CronEntry {
  let byZone = cronCache.get(schedule);
  if (byZone === undefined) {
    byZone = new Map();
    cronCache.set(schedule, byZone);
  }
  let entry = byZone.get(timezone);
  if (entry === undefined) {
    const pattern = [
      cronField(schedule.minute, 60),
      cronField(schedule.hour, 24),
      cronField(schedule.dayOfMonth, 31),
      cronField(schedule.monthOfYear, 12),
      cronField(schedule.dayOfWeek, 7),
    ].join(' ');
    entry = {
      cron: new Cron(pattern, { timezone, domAndDow: true, mode: '5-part' }),
      neverAfterMs: Number.POSITIVE_INFINITY,
    };
    byZone.set(timezone, entry);
  }
  return entry;
}

/**
 * True when the wall-clock reading of `instant` was already shown earlier, i.e. `instant` is in the second pass
 * through a repeated hour after clocks went back. That happens only within a few hours after the UTC offset
 * decreased by some `d`, and then exactly when `instant - d` still had the earlier offset.
 */
function isRepeatedWallTime(instant: Date, timezone: string): boolean {
  if (timezone === 'UTC') return false;
  const offset = utcOffsetMs(instant, timezone);
  const earlierOffset = utcOffsetMs(new Date(instant.getTime() - THREE_HOURS_MS), timezone);
  if (earlierOffset <= offset) return false;
  const shift = earlierOffset - offset;
  return utcOffsetMs(new Date(instant.getTime() - shift), timezone) === earlierOffset;
}

function isCrontabSlot(schedule: Crontab, instant: Date, timezone: string): boolean {
  const time = wallClock(instant, timezone);
  return time.second === 0 && schedule.matches(time) && !isRepeatedWallTime(instant, timezone);
}

function nextCrontabSlot(schedule: Crontab, after: Date, timezone: string): Date | undefined {
  const entry = cronFor(schedule, timezone);
  if (after.getTime() >= entry.neverAfterMs) return undefined;
  const horizon = after.getTime() + NEVER_HORIZON_MS;
  let cursor = after;
  for (;;) {
    const candidate = entry.cron.nextRun(cursor);
    if (candidate === null || candidate.getTime() > horizon) break;
    if (isCrontabSlot(schedule, candidate, timezone)) return candidate;
    cursor = candidate;
  }
  entry.neverAfterMs = Math.min(entry.neverAfterMs, after.getTime());
  return undefined;
}

function nextEverySlot(schedule: Every, after: Date): Date {
  const interval = schedule.intervalMs;
  return new Date((Math.floor(after.getTime() / interval) + 1) * interval);
}

function assertDate(name: string, value: unknown): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw InvalidScheduleError.of(`${name} ${String(value)}`, 'expected a valid Date');
  }
  return value;
}

/**
 * The first slot of `schedule` strictly after `after`, or undefined if it never fires again (a crontab whose
 * only times fall in DST gaps). Use it to sleep until the next slot.
 *
 * @example
 * nextSlotAfter(crontab({ minute: 0, hour: 7 }), new Date('2026-11-21T07:00:00Z')); // 2026-11-22T07:00:00Z
 */
export function nextSlotAfter(
  schedule: Schedule,
  after: Date,
  options: NextSlotOptions = {},
): Date | undefined {
  assertDate('nextSlotAfter: after', after);
  const timezone = assertTimezone(options.timezone ?? DEFAULT_TIMEZONE);
  switch (schedule.kind) {
    case 'crontab':
      return nextCrontabSlot(schedule, after, timezone);
    case 'every':
      return nextEverySlot(schedule, after);
    default:
      return unknownSchedule(schedule);
  }
}

/** Slots in `(afterMs, untilMs]`, oldest first, at most `limit` of them (the most recent). */
function slotsBetween(
  schedule: Schedule,
  timezone: string,
  afterMs: number,
  untilMs: number,
  limit: number,
): Date[] {
  if (schedule.kind === 'every') {
    const interval = schedule.intervalMs;
    const last = Math.floor(untilMs / interval);
    const first = Math.max(Math.floor(afterMs / interval) + 1, last - limit + 1);
    const slots: Date[] = [];
    for (let k = first; k <= last; k += 1) slots.push(new Date(k * interval));
    return slots;
  }
  const slots: Date[] = [];
  let slot = nextSlotAfter(schedule, new Date(afterMs), { timezone });
  while (slot !== undefined && slot.getTime() <= untilMs) {
    slots.push(slot);
    if (slots.length > limit) slots.shift();
    slot = nextSlotAfter(schedule, slot, { timezone });
  }
  return slots;
}

/**
 * The slots due now, oldest first: every slot in `(lastFired, now]` that is not older than
 * `now - catchUpWindowMs`. Slots older than the window were missed (the beat was down) and are skipped, so a
 * long outage does not end in a burst of stale tasks.
 *
 * On first start (`lastFired` undefined) at most one slot is due: the most recent one, if it lies within the
 * catch-up window. Celery's beat may send an interval task as soon as it starts; here a restart neither
 * fires a schedule out of turn nor replays its history, and because a slot's task id is derived from its
 * scheduled time, re-firing a slot that was sent just before a restart produces the same task id and is
 * deduplicated by the worker.
 *
 * For a crontab the cost grows with the number of slots in the window (one croner step each).
 *
 * @example
 * dueSlots({
 *   schedule: every({ minutes: 5 }),
 *   lastFired: new Date('2026-11-21T07:00:00Z'),
 *   now: new Date('2026-11-21T07:11:00Z'),
 *   catchUpWindowMs: 60 * 60_000,
 * }); // [07:05:00Z, 07:10:00Z]
 */
export function dueSlots(input: DueSlotsInput): Date[] {
  const now = assertDate('dueSlots: now', input.now).getTime();
  const timezone = assertTimezone(input.timezone ?? DEFAULT_TIMEZONE);
  const window = input.catchUpWindowMs;
  if (typeof window !== 'number' || !Number.isFinite(window) || window < 0) {
    throw InvalidScheduleError.of(`dueSlots: catchUpWindowMs ${String(window)}`, 'expected a number >= 0');
  }
  const maxSlots = input.maxSlots ?? 1000;
  if (!Number.isInteger(maxSlots) || maxSlots < 1) {
    throw InvalidScheduleError.of(`dueSlots: maxSlots ${String(maxSlots)}`, 'expected a whole number >= 1');
  }
  // Instants are whole milliseconds, so "not before now - window" is "after now - window - 1 ms".
  const windowAfter = now - Math.ceil(window) - 1;
  if (input.lastFired === undefined) {
    return slotsBetween(input.schedule, timezone, windowAfter, now, 1);
  }
  const lastFired = assertDate('dueSlots: lastFired', input.lastFired).getTime();
  return slotsBetween(input.schedule, timezone, Math.max(lastFired, windowAfter), now, maxSlots);
}

/**
 * The identifier of a slot: its scheduled time in ISO-8601 UTC without milliseconds, `2026-11-21T07:00:00Z`,
 * the format of EventBridge Scheduler's `<aws.scheduler.scheduled-time>` (documented example
 * `2022-03-22T18:59:43Z`, https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
 * Crontab slots and deployable intervals always fall on whole seconds; a local-only interval with a fraction
 * of a second keeps its milliseconds (`2026-11-21T07:00:00.500Z`) so that its slots stay distinct.
 */
export function slotId(scheduledTime: Date): string {
  const iso = assertDate('slotId', scheduledTime).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}
