/**
 * Expands one crontab field to the sorted set of integers it matches, with the semantics of Celery's
 * `celery.schedules.crontab_parser` and `crontab._expand_cronspec` (Celery 5.6).
 *
 * Accepted, as in Celery: a number, a list (or set) of numbers, or a string of comma-separated parts, each
 * `*`, `N`, `A-B`, `*\/S` or `A-B/S`. A range whose end is below its start wraps around the field
 * (`fri-mon` is Friday, Saturday, Sunday, Monday; `22-2` in hours is 22, 23, 0, 1, 2), and a step keeps every
 * S-th value of the expanded range or star, so `*\/2` in day of week means "days whose number is even"
 * and `*\/3` in day of month means 1, 4, 7, ... 31.
 *
 * Stricter than Celery, deliberately, because each case is a typo Celery turns into a surprising schedule:
 * - names are accepted only where they mean something: weekday names (`sun`..`sat`, or any word whose
 *   first three letters are one, such as `monday`) in `dayOfWeek`, month names (`jan`..`dec`, `january`) in
 *   `monthOfYear`. Celery accepts both kinds in every field (`hour='mon'` is 1, `day_of_week='mar'` is 3).
 * - a part must be exactly one of the forms above: Celery ignores trailing text after a valid prefix
 *   (`1-5-7` is read as `1-5`, `1-5/2/3` as `1-5/2`) and accepts Python `int()` spellings such as `+5`
 *   and `1_0`.
 * - an empty list is refused (Celery accepts it, then fails when computing the next run).
 * Whitespace around a part is ignored, as Python's `int()` ignores it.
 */
import { type CrontabField, InvalidCrontabError } from './errors.js';

/** What one crontab field accepts: a number, numbers, or Celery's crontab text. */
export type Cronspec = number | string | readonly number[] | ReadonlySet<number>;

/** The range and vocabulary of one crontab field. */
export interface FieldRule {
  /** Smallest value. */
  readonly min: number;
  /** Largest value. */
  readonly max: number;
  /** Names accepted in place of numbers, indexed from `min` (three-letter lowercase prefixes). */
  readonly names?: readonly string[];
  /** Extra words for error messages, e.g. `(Sunday is 0)`. */
  readonly hint?: string;
}

/** Celery's ranges for each field: `crontab._expand_cronspec(spec, max_, min_)` with the same bounds. */
export const FIELD_RULES: Readonly<Record<CrontabField, FieldRule>> = {
  minute: { min: 0, max: 59 },
  hour: { min: 0, max: 23 },
  dayOfWeek: {
    min: 0,
    max: 6,
    names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
    hint: ' (Sunday is 0, Saturday is 6; names sun..sat work too)',
  },
  dayOfMonth: { min: 1, max: 31 },
  monthOfYear: {
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
};

const FORMS = 'use *, N, A-B, */S or A-B/S, separated by commas';

function rangeText(rule: FieldRule): string {
  return `${rule.min}-${rule.max}${rule.hint ?? ''}`;
}

function fail(field: CrontabField, text: string, problem: string): never {
  const rule = FIELD_RULES[field];
  throw InvalidCrontabError.of(field, text, rule, problem);
}

function checkRange(field: CrontabField, value: number, text: string): number {
  const rule = FIELD_RULES[field];
  if (!Number.isInteger(value)) fail(field, text, `is not a whole number; expected ${rangeText(rule)}`);
  if (value < rule.min || value > rule.max) fail(field, text, `is out of range ${rangeText(rule)}`);
  return value;
}

function parseNumber(field: CrontabField, token: string, part: string): number {
  if (/^\d+$/.test(token)) return checkRange(field, Number.parseInt(token, 10), token);
  const rule = FIELD_RULES[field];
  if (/^[a-z]+$/i.test(token) && rule.names !== undefined) {
    const index = rule.names.indexOf(token.slice(0, 3).toLowerCase());
    if (index >= 0) return rule.min + index;
    fail(field, part, `has an unknown name ${JSON.stringify(token)}; expected ${rule.names.join(', ')}`);
  }
  if (/^[a-z]+$/i.test(token)) {
    fail(field, part, `uses a name, but \`${field}\` takes only numbers ${rangeText(rule)}`);
  }
  fail(field, part, `is not a valid crontab part; ${FORMS} (range ${rangeText(rule)})`);
}

function parseStep(field: CrontabField, token: string, part: string): number {
  if (!/^\d+$/.test(token)) fail(field, part, `has a step that is not a number; ${FORMS}`);
  const step = Number.parseInt(token, 10);
  if (step < 1) fail(field, part, 'has a step of 0; use a step of 1 or more');
  return step;
}

/** Celery's `_expand_range`: inclusive, wrapping past the field's maximum when `to < from`. */
function expandRange(rule: FieldRule, from: number, to: number): number[] {
  const values: number[] = [];
  if (to < from) {
    for (let v = from; v <= rule.max; v += 1) values.push(v);
    for (let v = rule.min; v <= to; v += 1) values.push(v);
  } else {
    for (let v = from; v <= to; v += 1) values.push(v);
  }
  return values;
}

/** Python's `values[::step]`. */
function everyNth(values: readonly number[], step: number): number[] {
  return values.filter((_, index) => index % step === 0);
}

function parsePart(field: CrontabField, part: string): number[] {
  const rule = FIELD_RULES[field];
  if (part === '*') return expandRange(rule, rule.min, rule.max);
  const star = /^\*\/(\w+)$/.exec(part);
  if (star !== null) {
    return everyNth(expandRange(rule, rule.min, rule.max), parseStep(field, star[1] ?? '', part));
  }
  const range = /^(\w+)-(\w+)(?:\/(\w+))?$/.exec(part);
  if (range !== null) {
    const values = expandRange(
      rule,
      parseNumber(field, range[1] ?? '', part),
      parseNumber(field, range[2] ?? '', part),
    );
    return range[3] === undefined ? values : everyNth(values, parseStep(field, range[3], part));
  }
  if (part.startsWith('-')) fail(field, part, `is negative; expected ${rangeText(rule)}`);
  return [parseNumber(field, part, part)];
}

/**
 * Expands one crontab field to its sorted, de-duplicated values, or throws {@link InvalidCrontabError}.
 *
 * @example
 * parseCronField('minute', '*\/15'); // [0, 15, 30, 45]
 * parseCronField('dayOfWeek', 'fri-mon'); // [0, 1, 5, 6]
 */
export function parseCronField(field: CrontabField, spec: Cronspec): number[] {
  const values = new Set<number>();
  if (typeof spec === 'number') {
    values.add(checkRange(field, spec, String(spec)));
  } else if (typeof spec === 'string') {
    for (const raw of spec.split(',')) {
      const part = raw.trim();
      if (part === '') fail(field, spec, `has an empty part; ${FORMS}`);
      for (const value of parsePart(field, part)) values.add(value);
    }
  } else if (typeof spec === 'object' && spec !== null && Symbol.iterator in spec) {
    for (const value of spec) {
      if (typeof value !== 'number') fail(field, String(value), 'is not a number');
      values.add(checkRange(field, value, String(value)));
    }
    if (values.size === 0) fail(field, '[]', 'is empty and would never match; use "*" for every value');
  } else {
    fail(field, String(spec), 'must be a number, an array of numbers or a crontab string such as "*/15"');
  }
  return [...values].sort((a, b) => a - b);
}
