/**
 * Expected strings below are what Celery 5.6.3's `celery.utils.saferepr.saferepr(value, 1024)` printed for the
 * same values (the interop test `test/interop/saferepr-oracle.test.ts` checks many more cases against Python
 * live).
 */
import { describe, expect, it } from 'vitest';
import { argsRepr, kwargsRepr } from '../../../src/protocol/python-repr.js';
import { TimeOfDay } from '../../../src/protocol/type-tags.js';

describe('argsRepr', () => {
  it('writes a time of day with a UTC offset with its tzinfo, as Python does', () => {
    expect(
      argsRepr([new TimeOfDay('01:02:03+01:00'), new TimeOfDay('01:02:03.5-05:30'), new TimeOfDay('04:05Z')]),
    ).toBe(
      '(datetime.time(1, 2, 3, tzinfo=datetime.timezone(datetime.timedelta(seconds=3600))), ' +
        'datetime.time(1, 2, 3, 500000, tzinfo=datetime.timezone(datetime.timedelta(days=-1, seconds=66600))), ' +
        'datetime.time(4, 5, tzinfo=datetime.timezone.utc))',
    );
  });

  it('counts an astral character once against the 1024-character budget, as Python counts code points', () => {
    const repr = argsRepr(['🎉'.repeat(1100)]);
    expect(repr).toBe(`('${'🎉'.repeat(1023)}...', ...`);
    expect([...repr]).toHaveLength(1034);
  });

  it('spends the budget in code points across several arguments', () => {
    const repr = argsRepr(['ab 🎉'.repeat(400), 7]);
    expect([...repr]).toHaveLength(1034);
    expect(repr.endsWith("ab...', ...)")).toBe(true);
    expect(repr.match(/🎉/gu)).toHaveLength(255);
  });
});

describe('kwargsRepr', () => {
  it('writes a naive time of day without tzinfo', () => {
    expect(kwargsRepr({ t: new TimeOfDay('01:02:03.000450') })).toBe("{'t': datetime.time(1, 2, 3, 450)}");
  });
});
