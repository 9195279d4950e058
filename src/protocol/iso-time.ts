/**
 * ISO-8601 times as Python writes and reads them. Python's `datetime.isoformat()` writes microseconds as six
 * digits (none when zero) and the UTC offset as `+00:00`; Celery parses `eta`/`expires` with
 * `dateutil.isoparse` and reads naive values as UTC. Python before 3.11 rejects a `Z` suffix, so celeriac
 * always writes `+00:00`.
 */

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/**
 * Formats an instant as Python's `datetime.isoformat()` of an aware UTC datetime.
 *
 * @example
 * formatPythonDateTime(new Date('2024-01-02T03:04:05.120Z')) // '2024-01-02T03:04:05.120000+00:00'
 */
export function formatPythonDateTime(date: Date, microseconds?: number): string {
  const base =
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  const micros = microseconds ?? date.getUTCMilliseconds() * 1000;
  return `${base}${micros === 0 ? '' : `.${pad(micros, 6)}`}+00:00`;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2}(?:\.\d+)?)?)?)?$/i;

/**
 * Parses an ISO-8601 date-time the way Celery reads `eta` and `expires` (`dateutil.parser.isoparse`): an offset is
 * honoured, `Z` means UTC, and a naive value is read as UTC. Returns `undefined` for text that is not ISO-8601 or
 * names an impossible time, as isoparse refuses it: a day the month does not have, a minute or second past 59, an
 * hour past 23 (but `24:00:00`, the next midnight), an offset of 24 hours or more. Precision below a millisecond
 * is dropped (a JavaScript `Date` holds milliseconds).
 */
export function parseIsoDateTime(text: string): Date | undefined {
  const match = ISO.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = match;
  const [hour, minute, second] = [Number(h), Number(mi), Number(s)];
  const ms = Number(`${frac}000`.slice(0, 3)) || 0;
  if (minute > 59 || second > 59) return undefined;
  if (hour > 24 || (hour === 24 && (minute !== 0 || second !== 0 || Number(frac || '0') !== 0)))
    return undefined;
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(/:/g, '');
    const [offsetHours, offsetMins] = [Number(digits.slice(0, 2)), Number(digits.slice(2, 4) || '0')];
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = sign * (offsetHours * 60 + offsetMins);
  }
  // Not Date.UTC, which reads the years 0 to 99 as 1900 to 1999.
  const start = new Date(0);
  start.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  // Reject impossible calendar values such as 2024-02-31, which setUTCFullYear would silently roll over.
  if (start.getUTCMonth() !== Number(mo) - 1 || start.getUTCDate() !== Number(d)) return undefined;
  start.setUTCHours(hour, minute, second, ms);
  const date = new Date(start.getTime() - offsetMinutes * 60_000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
