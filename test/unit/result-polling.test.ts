import { describe, expect, it } from 'vitest';
import { ErrorTable } from '../../src/exception-table.js';
import { MemoryResultStore } from '../../src/memory/memory-result-store.js';
import { buildResultMeta } from '../../src/protocol/result-meta.js';
import { AsyncResult } from '../../src/result.js';

/** An AsyncResult on a memory store whose task succeeds after `pollsUntilDone` reads, with the pauses recorded. */
function pollingResult(pollsUntilDone: number) {
  const results = new MemoryResultStore();
  const pauses: number[] = [];
  let clock = 0;
  const taskId = '7d2c5a4e-5b1d-4f5e-9a0e-0a6b1c2d3e4f';
  const result = new AsyncResult<number>(taskId, {
    results,
    errors: new ErrorTable(),
    now: () => clock,
    sleep: async (ms) => {
      pauses.push(ms);
      clock += ms;
      if (pauses.length === pollsUntilDone) {
        const meta = buildResultMeta({ taskId, status: 'SUCCESS', result: 42, dateDone: new Date(clock) });
        await results.put(taskId, meta, { nowMs: clock });
      }
    },
  });
  return { result, pauses };
}

describe('AsyncResult.get polling', () => {
  it('first polls after 15 ms, so a task that finishes in one round trip is seen at once, and backs off by half each poll', async () => {
    const { result, pauses } = pollingResult(6);
    await expect(result.get()).resolves.toBe(42);
    expect(pauses[0]).toBe(15);
    for (let i = 1; i < pauses.length; i++) {
      expect(pauses[i]).toBe(Math.ceil((pauses[i - 1] ?? 0) * 1.5));
    }
  });

  it('never pauses longer than maxIntervalMs (1 s by default), however long the task takes', async () => {
    const { result, pauses } = pollingResult(40);
    await expect(result.get()).resolves.toBe(42);
    expect(Math.max(...pauses)).toBe(1000);
    expect(pauses.slice(-5)).toEqual([1000, 1000, 1000, 1000, 1000]);
  });

  it('starts from intervalMs when the caller sets it', async () => {
    const { result, pauses } = pollingResult(2);
    await result.get({ intervalMs: 200 });
    expect(pauses).toEqual([200, 300]);
  });
});
