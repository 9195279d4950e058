/**
 * Values that keep exactly what Python sent, for the opt-in exact mode (`exactValues`): JavaScript's `number`
 * cannot tell the float `5.0` from the int `5`, and `Date` holds milliseconds and no naive/aware distinction.
 *
 * | Python                         | default mode                | exact mode                           |
 * |--------------------------------|-----------------------------|--------------------------------------|
 * | int within ±(2^53 − 1)         | number                      | number                               |
 * | int beyond it                  | number (rounded)            | `bigint`                             |
 * | float with an integral value   | number (goes back as an int) | {@link PythonFloat} (goes back as a float) |
 * | other floats                   | number                      | number                               |
 * | datetime                       | `Date` (ms, naive read as UTC) | {@link PythonDateTime} (the text as sent) |
 * | Decimal                        | `Decimal` (exact)           | `Decimal` (exact)                    |
 */
import { EncodeError } from './errors.js';
import { parseIsoDateTime } from './iso-time.js';

/** A Python float whose value is integral (`5.0`): written back as a float, not an int. */
export class PythonFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return String(this.value);
  }
}

/** A Python datetime kept as its ISO-8601 text, so microseconds and naive/aware survive a round trip. */
export class PythonDateTime {
  /** The text Python's `isoformat()` wrote, e.g. `2024-01-02T03:04:05.000006+00:00` or `2024-01-02T03:04:05`. */
  readonly iso: string;
  constructor(iso: string) {
    if (parseIsoDateTime(iso) === undefined) {
      throw EncodeError.at('datetime', `expected an ISO-8601 date-time, got ${JSON.stringify(iso)}`);
    }
    this.iso = iso;
  }
  /** Whether the datetime has no UTC offset (Python's naive datetime). */
  get naive(): boolean {
    return !/(Z|[+-]\d{2}(:?\d{2})?(:?\d{2}(\.\d+)?)?)$/i.test(this.iso.slice(10));
  }
  /** The microseconds field (0-999999). */
  get microseconds(): number {
    const fraction = /[.,](\d{1,6})/.exec(this.iso.slice(19))?.[1] ?? '';
    return Number(fraction.padEnd(6, '0')) || 0;
  }
  /** The instant, to the millisecond (a naive value read as UTC, as Celery reads `eta`). */
  toDate(): Date {
    return parseIsoDateTime(this.iso) as Date;
  }
  toString(): string {
    return this.iso;
  }
}
