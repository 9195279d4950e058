import { describe, expect, it } from 'vitest';
import { MemoryResultStore } from '../../../src/memory/memory-result-store.js';
import { EncodeError } from '../../../src/protocol/errors.js';
import { buildResultMeta } from '../../../src/protocol/result-meta.js';
import { CalendarDate, Decimal, TimeOfDay, Uuid } from '../../../src/protocol/type-tags.js';

const NOW = 1_800_000_000_000;

describe('MemoryResultStore', () => {
  it('returns stored results with their value types, as the DynamoDB store decodes them', async () => {
    const store = new MemoryResultStore(() => NOW);
    const result = [
      new Date('2024-01-02T03:04:05.123Z'),
      new CalendarDate('2024-01-02'),
      new TimeOfDay('01:02:03'),
      new Decimal('1.10'),
      new Uuid('12345678-1234-5678-1234-567812345678'),
      new Uint8Array([0xff, 0x00]),
      { nested: [new Decimal('0.5')] },
    ];
    await store.put('t-1', buildResultMeta({ taskId: 't-1', status: 'SUCCESS', result }), { nowMs: NOW });
    const meta = await store.get('t-1');
    expect(meta?.result).toStrictEqual(result);
  });

  it('hands out copies: changing a returned meta does not change the stored one', async () => {
    const store = new MemoryResultStore(() => NOW);
    await store.put('t-2', buildResultMeta({ taskId: 't-2', status: 'PROGRESS', result: { done: 1 } }), {
      nowMs: NOW,
    });
    const first = await store.get('t-2');
    (first?.result as { done: number }).done = 99;
    expect((await store.get('t-2'))?.result).toEqual({ done: 1 });
  });

  it('refuses a result that has no JSON form, as the DynamoDB store does', async () => {
    const store = new MemoryResultStore(() => NOW);
    const meta = buildResultMeta({ taskId: 't-3', status: 'SUCCESS', result: new Map([['a', 1]]) });
    await expect(store.put('t-3', meta, { nowMs: NOW })).rejects.toBeInstanceOf(EncodeError);
  });
});
