/**
 * Rates in Celery's syntax (`rate_limit`): `'10/s'`, `'100/m'`, `'1000/h'`, or a number (or numeric string) of
 * tasks per second. `0` means no limit, as in Celery.
 */
import { InvalidOptionError } from '../errors.js';

/** The forms a rate may take, for error messages. */
export const RATE_FORMS =
  "'<n>/s', '<n>/m' or '<n>/h' (n > 0, e.g. '10/s', '100/m', '1000/h'), a number of tasks per second, or 0 for no limit";

/** A parsed rate. */
export interface Rate {
  /** Tasks per second; 0 for no limit. */
  readonly perSecond: number;
  /** The rate as written, for logs and records. */
  readonly text: string;
}

/** What a rate may be written as. */
export type RateLimit = string | number;

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600 };
const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * Parses a rate.
 *
 * @throws {InvalidOptionError} naming `option` and the accepted forms.
 * @example
 * parseRate('100/m', 'tasks.add: rateLimit').perSecond; // 1.6666…
 */
export function parseRate(value: RateLimit, option: string): Rate {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw InvalidOptionError.expected(option, RATE_FORMS, value);
    return { perSecond: value, text: String(value) };
  }
  if (typeof value !== 'string') throw InvalidOptionError.expected(option, RATE_FORMS, value);
  const text = value.trim();
  const slash = text.indexOf('/');
  const amount = slash === -1 ? text : text.slice(0, slash).trim();
  const unit = slash === -1 ? 's' : text.slice(slash + 1).trim();
  const seconds = UNIT_SECONDS[unit];
  if (!NUMBER.test(amount) || seconds === undefined) {
    throw InvalidOptionError.expected(option, RATE_FORMS, value);
  }
  return { perSecond: Number(amount) / seconds, text };
}

/** Whether a rate limits anything. */
export function limits(rate: Rate | undefined): rate is Rate {
  return rate !== undefined && rate.perSecond > 0;
}
