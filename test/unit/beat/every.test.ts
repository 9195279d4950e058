import { describe, expect, it } from 'vitest';
import { Every, every, InvalidScheduleError, isSchedule } from '../../../src/beat/index.js';

describe('every', () => {
  it("reads a bare number as seconds, like Celery's 'schedule': 30.0", () => {
    expect(every(30).intervalMs).toBe(30_000);
    expect(every(30).seconds).toBe(30);
  });

  it('adds up days, hours, minutes and seconds like a timedelta', () => {
    expect(every({ minutes: 5 }).intervalMs).toBe(300_000);
    expect(every({ hours: 1, minutes: 30 }).intervalMs).toBe(5_400_000);
    expect(every({ days: 1, seconds: 1 }).intervalMs).toBe(86_401_000);
    expect(every({ minutes: 0.5 }).intervalMs).toBe(30_000);
  });

  it('keeps fractions of a second, rounded to the nearest millisecond', () => {
    expect(every(0.25).intervalMs).toBe(250);
    expect(every(1 / 3).intervalMs).toBe(333);
    expect(every(0.0006).intervalMs).toBe(1);
  });

  it.each([0, -5, 0.0004, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses every(%d), saying what is valid',
    (seconds) => {
      expect(() => every(seconds)).toThrow(InvalidScheduleError);
      expect(() => every(seconds)).toThrow(/finite number of seconds of at least 0\.0005/);
    },
  );

  it('refuses negative or unknown parts and an empty duration', () => {
    expect(() => every({ minutes: -1, hours: 1 })).toThrow(/`minutes` must be a finite number >= 0/);
    expect(() => every({})).toThrow(/at least one of days, hours, minutes, seconds/);
    // A JavaScript caller without types can misspell a unit.
    expect(() => every({ minute: 5 } as unknown as { minutes: number })).toThrow(/not minute/);
    expect(() => every('30' as unknown as number)).toThrow(InvalidScheduleError);
  });

  it('refuses a non-integer interval given straight to the class', () => {
    expect(() => new Every(1.5)).toThrow(InvalidScheduleError);
    expect(() => new Every(0)).toThrow(InvalidScheduleError);
  });

  it("prints Celery's repr", () => {
    // Printed by Celery 5.6.3: repr(schedule(s)) for each s.
    expect(every(30).describe()).toBe('<freq: 30.00 seconds>');
    expect(every(60).describe()).toBe('<freq: 1.00 minute>');
    expect(every(90).describe()).toBe('<freq: 1.50 minutes>');
    expect(every(61).describe()).toBe('<freq: 1.02 minutes>');
    expect(every(1).describe()).toBe('<freq: 1.00 second>');
    expect(every({ hours: 1 }).describe()).toBe('<freq: 1.00 hour>');
    expect(every({ hours: 1.5 }).describe()).toBe('<freq: 1.50 hours>');
    expect(every({ days: 1 }).describe()).toBe('<freq: 1.00 day>');
    expect(String(every({ days: 2 }))).toBe('<freq: 2.00 days>');
  });

  it('prints seconds under one second, where Celery prints "now"', () => {
    expect(every(0.5).describe()).toBe('<freq: 0.5 seconds>');
    expect(every(0.001).describe()).toBe('<freq: 0.001 seconds>');
  });

  it('is a schedule of kind "every"', () => {
    expect(every(1).kind).toBe('every');
    expect(isSchedule(every(1))).toBe(true);
  });
});
