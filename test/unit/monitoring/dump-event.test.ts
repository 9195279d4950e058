/**
 * `celeriac events` lines for events a sender got wrong: the tail shows them and goes on. Anyone who may put
 * events on the bus could otherwise end it with one event whose timestamp no Date holds.
 */
import { describe, expect, it } from 'vitest';
import { EventDumper, pythonUtcTime } from '../../../src/monitoring/dump-event.js';

describe('EventDumper.line', () => {
  it.each([
    ['no timestamp', undefined, '(timestamp None)'],
    ['a string', 'soon', '(timestamp soon)'],
    ['one past the years a Date holds', 1e20, '(timestamp 100000000000000000000)'],
  ])('shows an event with %s, naming what it had', (_what, timestamp, shown) => {
    const line = new EventDumper().line({ type: 'task-succeeded', uuid: 'u-1', hostname: 'w@h', timestamp });
    expect(line).toBe(`w@h [${shown}] task succeeded  `);
  });
});

describe('pythonUtcTime', () => {
  it("rounds to the microsecond first, as Python's datetime.fromtimestamp does", () => {
    expect(pythonUtcTime(1.9999996)).toBe('1970-01-01 00:00:02+00:00');
    expect(pythonUtcTime(1_700_000_000.25)).toBe('2023-11-14 22:13:20.250000+00:00');
  });
});
