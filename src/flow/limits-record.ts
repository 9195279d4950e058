/**
 * The limits record: limits set at run time (`celeriac control rate-limit`), which win over the limits in
 * code. One JSON document in the flow store:
 *
 * ```json
 * { "version": 1, "tasks": { "tasks.charge": { "rateLimit": "5/s", "keyRateLimit": "1/s", "keyConcurrency": 2 } } }
 * ```
 *
 * A field that is present overrides the code's (`"rateLimit": "0"` lifts the limit); an absent field keeps it.
 */
import { InvalidOptionError } from '../errors.js';
import { parseRate } from './rate.js';

/** What the record may say about one task. */
export interface LimitOverride {
  readonly rateLimit?: string;
  readonly keyRateLimit?: string;
  readonly keyConcurrency?: number;
}

/** The record. */
export interface LimitsRecord {
  readonly version: 1;
  readonly tasks: Readonly<Record<string, LimitOverride>>;
}

export const EMPTY_LIMITS: LimitsRecord = { version: 1, tasks: {} };

/** Checks one task's override, naming the field that is wrong. */
export function validateOverride(task: string, override: unknown): LimitOverride {
  if (typeof override !== 'object' || override === null || Array.isArray(override)) {
    throw InvalidOptionError.expected(`limits.${task}`, 'an object', override);
  }
  const o = override as Record<string, unknown>;
  const out: { rateLimit?: string; keyRateLimit?: string; keyConcurrency?: number } = {};
  for (const field of ['rateLimit', 'keyRateLimit'] as const) {
    const value = o[field];
    if (value === undefined) continue;
    if (typeof value !== 'string')
      throw InvalidOptionError.expected(`limits.${task}.${field}`, 'a rate', value);
    parseRate(value, `limits.${task}.${field}`);
    out[field] = value;
  }
  if (o.keyConcurrency !== undefined) {
    if (typeof o.keyConcurrency !== 'number' || !Number.isInteger(o.keyConcurrency) || o.keyConcurrency < 1) {
      throw InvalidOptionError.expected(`limits.${task}.keyConcurrency`, 'an integer >= 1', o.keyConcurrency);
    }
    out.keyConcurrency = o.keyConcurrency;
  }
  return out;
}

/**
 * Reads the record's text.
 *
 * @throws {InvalidOptionError} saying what is wrong with it.
 */
export function parseLimitsRecord(text: string): LimitsRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidOptionError(`the limits record is not JSON: ${(error as Error).message}`, {
      option: 'limits',
      value: text.slice(0, 80),
    });
  }
  const shaped = value as { version?: unknown; tasks?: unknown } | null;
  if (typeof shaped !== 'object' || shaped === null || shaped.version !== 1) {
    throw InvalidOptionError.expected('limits', 'an object with "version": 1', value);
  }
  if (typeof shaped.tasks !== 'object' || shaped.tasks === null || Array.isArray(shaped.tasks)) {
    throw InvalidOptionError.expected('limits.tasks', 'an object of task name to limits', shaped.tasks);
  }
  const tasks: Record<string, LimitOverride> = {};
  for (const [name, override] of Object.entries(shaped.tasks)) tasks[name] = validateOverride(name, override);
  return { version: 1, tasks };
}

/** The record with one task's override replaced (or removed, with `undefined`). */
export function withOverride(
  record: LimitsRecord,
  task: string,
  override: LimitOverride | undefined,
): LimitsRecord {
  const tasks = { ...record.tasks };
  if (override === undefined || Object.keys(override).length === 0) delete tasks[task];
  else tasks[task] = validateOverride(task, override);
  return { version: 1, tasks };
}
