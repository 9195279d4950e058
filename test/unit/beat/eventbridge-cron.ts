/**
 * Test helpers for EventBridge Scheduler cron expressions, written from the AWS rules
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html, used by Scheduler:
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based), independently of the
 * code under test.
 */
import { expect } from 'vitest';

const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldRule {
  readonly min: number;
  readonly max: number;
  readonly slash: boolean;
}

const RULES: Record<'minutes' | 'hours' | 'dayOfMonth' | 'month', FieldRule> = {
  minutes: { min: 0, max: 59, slash: true },
  hours: { min: 0, max: 23, slash: true },
  dayOfMonth: { min: 1, max: 31, slash: true },
  month: { min: 1, max: 12, slash: true },
};

function assertNumericField(text: string, rule: FieldRule): void {
  if (text === '*') return;
  for (const item of text.split(',')) {
    const match = /^(\d+)(?:-(\d+)|\/(\d+))?$/.exec(item);
    expect(match, `field item ${item}`).not.toBeNull();
    const [, from, to] = match ?? [];
    for (const value of [from, to]) {
      if (value === undefined) continue;
      expect(Number(value)).toBeGreaterThanOrEqual(rule.min);
      expect(Number(value)).toBeLessThanOrEqual(rule.max);
    }
    if (to !== undefined) expect(Number(to)).toBeGreaterThan(Number(from));
  }
}

function assertWeekdayField(text: string): void {
  if (text === '*' || text === '?') return;
  if (text.includes('#')) {
    expect(text, 'one # expression only').toMatch(/^[1-7]#[1-5]$/);
    return;
  }
  for (const item of text.split(',')) {
    const [from, to, extra] = item.split('-');
    expect(extra).toBeUndefined();
    expect(WEEKDAYS).toContain(from);
    if (to !== undefined) {
      expect(WEEKDAYS).toContain(to);
      expect(WEEKDAYS.indexOf(to)).toBeGreaterThan(WEEKDAYS.indexOf(from ?? ''));
    }
  }
}

/** Fails the test unless `expression` is a valid EventBridge Scheduler cron expression of the forms we emit. */
export function assertEventBridgeCron(expression: string): void {
  expect(expression.length).toBeLessThanOrEqual(256);
  const match = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  expect(match, expression).not.toBeNull();
  const [, minutes = '', hours = '', dayOfMonth = '', month = '', dayOfWeek = '', year = ''] = match ?? [];
  assertNumericField(minutes, RULES.minutes);
  assertNumericField(hours, RULES.hours);
  assertNumericField(month, RULES.month);
  expect(year).toBe('*');
  expect(
    [dayOfMonth, dayOfWeek].filter((f) => f === '?'),
    'exactly one day field is ?',
  ).toHaveLength(1);
  if (dayOfMonth !== '?') assertNumericField(dayOfMonth, RULES.dayOfMonth);
  assertWeekdayField(dayOfWeek);
}

/** Quartz `a/s` runs from a to the field's end; standard cron (croner) spells that `a-max/s`. */
function expandSlash(text: string, max: number): string {
  return text
    .split(',')
    .map((item) =>
      item.replace(/^(\d+)\/(\d+)$/, (_all, from: string, step: string) => `${from}-${max}/${step}`),
    )
    .join(',');
}

/**
 * The standard 5-field cron pattern (weekdays 0-6 from Sunday, `#` as in croner) that fires when the EventBridge
 * expression does. EventBridge day-of-week N (1 = SUN) is N - 1; `?` means "any", which is `*`.
 */
export function eventBridgeToStandardCron(expression: string): string {
  assertEventBridgeCron(expression);
  const [minutes = '', hours = '', dayOfMonth = '', month = '', dayOfWeek = ''] = expression
    .slice('cron('.length, -1)
    .split(' ');
  const weekday = (name: string): string => String(WEEKDAYS.indexOf(name));
  let dow: string;
  if (dayOfWeek === '?' || dayOfWeek === '*') dow = '*';
  else if (dayOfWeek.includes('#')) {
    const [day = '', nth = ''] = dayOfWeek.split('#');
    dow = `${Number(day) - 1}#${nth}`;
  } else
    dow = dayOfWeek
      .split(',')
      .map((item) => item.split('-').map(weekday).join('-'))
      .join(',');
  return [
    expandSlash(minutes, 59),
    expandSlash(hours, 23),
    dayOfMonth === '?' ? '*' : expandSlash(dayOfMonth, 31),
    expandSlash(month, 12),
    dow,
  ].join(' ');
}
