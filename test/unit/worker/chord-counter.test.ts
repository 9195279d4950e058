import { describe, expect, it } from 'vitest';
import { MemoryResultStore } from '../../../src/memory/memory-result-store.js';
import { countChordMember } from '../../../src/worker/chord-counter.js';

/** A memory store that records the members of each counter write. */
function recordingStore(): { store: MemoryResultStore; writes: number[][] } {
  const store = new MemoryResultStore();
  const writes: number[][] = [];
  const increment = store.incrementChordCounter.bind(store);
  store.incrementChordCounter = async (groupId, positions) => {
    writes.push([...positions]);
    return increment(groupId, positions);
  };
  return { store, writes };
}

describe('countChordMember', () => {
  it('counts members finishing together in fewer writes, giving each the count it would have had alone', async () => {
    const { store, writes } = recordingStore();
    const ids = Array.from({ length: 120 }, (_, i) => `m${i}`);
    await store.saveGroup('g', ids);
    const counts = await Promise.all(ids.map((_, i) => countChordMember(store, 'g', i)));
    expect(counts.map((c) => c?.count).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(ids.map((_, i) => i + 1));
    expect(counts.every((c) => c?.counted)).toBe(true);
    // The first write carries the first member alone; those waiting meanwhile go in writes of at most 50.
    expect(writes.map((w) => w.length)).toEqual([1, 50, 50, 19]);
  });

  it('counts a member given twice once, and says the repeat was counted before', async () => {
    const { store } = recordingStore();
    await store.saveGroup('g', ['a', 'b']);
    const [first, again, other] = await Promise.all([
      countChordMember(store, 'g', 0),
      countChordMember(store, 'g', 0),
      countChordMember(store, 'g', 1),
    ]);
    expect(first).toEqual({ count: 1, counted: true });
    expect(again).toEqual({ count: 2, counted: false });
    expect(other).toEqual({ count: 2, counted: true });
    expect(await countChordMember(store, 'g', 1)).toEqual({ count: 2, counted: false });
  });

  it('resolves undefined for a chord without a counter, and rejects every waiter when the write fails', async () => {
    const { store } = recordingStore();
    expect(await countChordMember(store, 'gone', 0)).toBeUndefined();
    await store.saveGroup('g', ['a']);
    store.incrementChordCounter = async () => {
      throw new Error('throttled');
    };
    await expect(countChordMember(store, 'g', 0)).rejects.toThrow('throttled');
  });
});
