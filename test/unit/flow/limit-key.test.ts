import { describe, expect, it } from 'vitest';
import { bucketKey, limitKeyOf } from '../../../src/flow/limit-key.js';

const source = { args: [{ tenantId: 't-1' }], kwargs: { tenant: 't-2' }, headers: { tenant: 't-3' } };

describe('limit keys', () => {
  it('come from a function of the arguments, a keyword argument or a header', () => {
    expect(limitKeyOf((order: { tenantId: string }) => order.tenantId, source)).toBe('t-1');
    expect(limitKeyOf({ kwarg: 'tenant' }, source)).toBe('t-2');
    expect(limitKeyOf({ header: 'tenant' }, source)).toBe('t-3');
    expect(limitKeyOf({ header: 'tenant' }, { ...source, headers: { tenant: 42 } })).toBe('42');
  });

  it('are missing when absent, empty, not a string, or the function throws', () => {
    expect(limitKeyOf({ header: 'other' }, source)).toBeUndefined();
    expect(limitKeyOf({ kwarg: 'tenant' }, { ...source, kwargs: { tenant: '' } })).toBeUndefined();
    expect(limitKeyOf({ kwarg: 'tenant' }, { ...source, kwargs: { tenant: { a: 1 } } })).toBeUndefined();
    expect(
      limitKeyOf(() => {
        throw new Error('boom');
      }, source),
    ).toBeUndefined();
  });

  it('keep short printable keys and hash the rest', async () => {
    expect(await bucketKey('tenant-1')).toBe('tenant-1');
    const long = await bucketKey('x'.repeat(500));
    expect(long).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await bucketKey('a b')).toMatch(/^sha256:/);
    expect(await bucketKey('a b')).not.toBe(await bucketKey('a  b'));
  });
});
