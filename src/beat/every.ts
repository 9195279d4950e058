/**
 * A fixed-interval schedule, Celery's `schedule(run_every=...)` (what `'schedule': 30.0` or a `timedelta`
 * becomes in `beat_schedule`).
 */
import { InvalidScheduleError } from './errors.js';

/** An interval as a sum of parts, like Python's `timedelta(days=..., hours=..., minutes=..., seconds=...)`. */
export interface EveryDuration {
  readonly days?: number;
  readonly hours?: number;
  readonly minutes?: number;
  /** May be fractional, e.g. `0.5`. */
  readonly seconds?: number;
}

const UNIT_MS = { days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1_000 } as const;

/** Celery's `humanize_seconds` units: the first one the interval reaches is used. */
const HUMAN_UNITS = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
] as const;

/**
 * An interval schedule. Build one with {@link every}.
 *
 * Slots are anchored at the Unix epoch (1970-01-01T00:00:00Z): an `every({ minutes: 5 })` schedule is due at
 * :00, :05, :10 ... UTC whenever the local beat starts, so a restart does not shift the slots and a slot has
 * the same time, and the same derived task id, on every host. Celery's interval instead counts from the last
 * run, and EventBridge Scheduler's `rate()` from the schedule's creation (or its `StartDate`).
 */
export class Every {
  /** Discriminator of the {@link Schedule} union. */
  readonly kind = 'every' as const;
  /** The interval in whole milliseconds, > 0. */
  readonly intervalMs: number;

  /** Prefer {@link every}; takes the interval in whole milliseconds. */
  constructor(intervalMs: number) {
    if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) {
      throw InvalidScheduleError.of(
        `every(${intervalMs} ms)`,
        'the interval must be a whole number of milliseconds greater than 0',
      );
    }
    this.intervalMs = intervalMs;
  }

  /** The interval in seconds (Celery's `schedule.seconds`). */
  get seconds(): number {
    return this.intervalMs / 1000;
  }

  /**
   * Celery's `repr`, e.g. `<freq: 30.00 seconds>`, `<freq: 1.50 minutes>`, `<freq: 1.00 hour>`. For intervals
   * under a second Celery prints `<freq: now>`; this prints the seconds instead (`<freq: 0.5 seconds>`).
   */
  describe(): string {
    // Celery rounds to two decimals before choosing the unit.
    const seconds = Math.round(this.seconds * 100) / 100;
    for (const [unit, size] of HUMAN_UNITS) {
      if (seconds >= size) {
        const amount = seconds / size;
        return `<freq: ${amount.toFixed(2)} ${unit}${amount === 1 ? '' : 's'}>`;
      }
    }
    return `<freq: ${Number(this.seconds.toFixed(3))} seconds>`;
  }

  /** Same as {@link Every.describe}. */
  toString(): string {
    return this.describe();
  }
}

function describeInput(duration: number | EveryDuration): string {
  return typeof duration === 'number' ? `every(${duration})` : `every(${JSON.stringify(duration)})`;
}

/**
 * An interval schedule: `every(30)` is every 30 seconds (Celery's `'schedule': 30.0`),
 * `every({ minutes: 5 })` every five minutes, `every({ hours: 1, minutes: 30 })` every 90 minutes.
 *
 * The interval must be greater than 0. Fractions of a second are allowed, as in Celery, and rounded to the
 * nearest millisecond, the resolution of the local beat's timers; an interval that rounds to 0 ms is refused.
 * Only whole minutes, hours or days can be deployed to EventBridge Scheduler (see `toScheduleExpressions`).
 *
 * @example
 * every(30); // every 30 seconds
 * every({ minutes: 15 }); // deployable as rate(15 minutes)
 */
export function every(duration: number | EveryDuration): Every {
  let totalMs = 0;
  if (typeof duration === 'number') {
    totalMs = duration * UNIT_MS.seconds;
  } else if (typeof duration === 'object' && duration !== null) {
    let parts = 0;
    for (const unit of Object.keys(UNIT_MS) as (keyof typeof UNIT_MS)[]) {
      const amount = duration[unit];
      if (amount === undefined) continue;
      if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
        throw InvalidScheduleError.of(
          describeInput(duration),
          `\`${unit}\` must be a finite number >= 0, got ${String(amount)}`,
        );
      }
      parts += 1;
      totalMs += amount * UNIT_MS[unit];
    }
    const unknown = Object.keys(duration).filter((key) => !(key in UNIT_MS));
    if (unknown.length > 0 || parts === 0) {
      throw InvalidScheduleError.of(
        describeInput(duration),
        `expected at least one of days, hours, minutes, seconds${unknown.length > 0 ? `, not ${unknown.join(', ')}` : ''}`,
      );
    }
  } else {
    throw InvalidScheduleError.of(
      `every(${String(duration)})`,
      'expected a number of seconds or { days, hours, minutes, seconds }',
    );
  }
  const intervalMs = Math.round(totalMs);
  if (!Number.isFinite(totalMs) || intervalMs <= 0 || !Number.isSafeInteger(intervalMs)) {
    throw InvalidScheduleError.of(
      describeInput(duration),
      'the interval must be a finite number of seconds of at least 0.0005 (it is kept in whole milliseconds)',
    );
  }
  return new Every(intervalMs);
}
