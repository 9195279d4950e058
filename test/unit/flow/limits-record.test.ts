import { describe, expect, it } from 'vitest';
import { EMPTY_LIMITS, parseLimitsRecord, withOverride } from '../../../src/flow/limits-record.js';

describe('the limits record', () => {
  it('round-trips overrides set and removed', () => {
    const set = withOverride(EMPTY_LIMITS, 'tasks.charge', { rateLimit: '5/s', keyConcurrency: 2 });
    expect(parseLimitsRecord(JSON.stringify(set))).toEqual(set);
    expect(withOverride(set, 'tasks.charge', undefined)).toEqual(EMPTY_LIMITS);
  });

  it.each([
    ['not json', 'not JSON'],
    ['{"version":2,"tasks":{}}', '"version": 1'],
    ['{"version":1,"tasks":[]}', 'limits.tasks'],
    ['{"version":1,"tasks":{"t":{"rateLimit":"9/x"}}}', 'limits.t.rateLimit'],
    ['{"version":1,"tasks":{"t":{"keyConcurrency":1.5}}}', 'limits.t.keyConcurrency'],
  ])('says what is wrong with %s', (text, where) => {
    expect(() => parseLimitsRecord(text)).toThrow(where);
  });
});
