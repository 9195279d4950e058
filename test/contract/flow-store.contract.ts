/**
 * The contract every FlowStore adapter meets (see src/ports/flow-store.ts). Run against the process-local store
 * and the DynamoDB store.
 */
import { describe, expect, it } from 'vitest';
import type { FlowStore } from '../../src/ports/flow-store.js';

let counter = 0;
const newBucket = () => `contract-${Date.now().toString(36)}-${++counter}`;
const T0 = 1_800_000_000_000;

export function describeFlowStoreContract(
  name: string,
  makeStore: () => FlowStore | Promise<FlowStore>,
): void {
  describe(`FlowStore contract: ${name}`, () => {
    it('grants a batch of tokens, refuses until the batch has passed, then grants again', async () => {
      const store = await makeStore();
      const bucket = newBucket();
      expect(await store.takeTokens({ bucket, count: 5, intervalMs: 50, nowMs: T0 })).toEqual({
        granted: 5,
        untilMs: T0 + 250,
      });
      expect(await store.takeTokens({ bucket, count: 5, intervalMs: 50, nowMs: T0 + 100 })).toEqual({
        granted: 0,
        retryAtMs: T0 + 250,
      });
      expect(await store.takeTokens({ bucket, count: 2, intervalMs: 50, nowMs: T0 + 250 })).toEqual({
        granted: 2,
        untilMs: T0 + 350,
      });
    });

    it('grants exactly one of many concurrent takes of one bucket', async () => {
      const store = await makeStore();
      const bucket = newBucket();
      const grants = await Promise.all(
        Array.from({ length: 8 }, () => store.takeTokens({ bucket, count: 10, intervalMs: 10, nowMs: T0 })),
      );
      expect(grants.filter((g) => g.granted > 0)).toHaveLength(1);
    });

    it('holds at most `limit` slots, frees them on release, and lets an expired lease be taken over', async () => {
      const store = await makeStore();
      const bucket = newBucket();
      const a = await store.acquireSlot({ bucket, limit: 2, owner: 'a', leaseMs: 1000, nowMs: T0 });
      const b = await store.acquireSlot({ bucket, limit: 2, owner: 'b', leaseMs: 5000, nowMs: T0 });
      expect(new Set([a.slot, b.slot])).toEqual(new Set([0, 1]));
      const c = await store.acquireSlot({ bucket, limit: 2, owner: 'c', leaseMs: 1000, nowMs: T0 + 10 });
      expect(c).toEqual({ retryAtMs: T0 + 1000 });
      // a's lease ends unrenewed (a crashed): c takes its slot over; a's late release frees nothing.
      const taken = await store.acquireSlot({
        bucket,
        limit: 2,
        owner: 'c',
        leaseMs: 1000,
        nowMs: T0 + 1000,
      });
      expect(taken.slot).toBe(a.slot);
      await store.releaseSlot({ bucket, slot: a.slot as number, owner: 'a' });
      expect(
        await store.acquireSlot({ bucket, limit: 2, owner: 'd', leaseMs: 1000, nowMs: T0 + 1001 }),
      ).toHaveProperty('retryAtMs');
      expect(await store.renewSlot({ bucket, slot: a.slot as number, owner: 'a' }, 1000, T0 + 1002)).toBe(
        false,
      );
      expect(await store.renewSlot({ bucket, slot: b.slot as number, owner: 'b' }, 9000, T0 + 1002)).toBe(
        true,
      );
      await store.releaseSlot({ bucket, slot: b.slot as number, owner: 'b' });
      expect(
        (await store.acquireSlot({ bucket, limit: 2, owner: 'd', leaseMs: 1000, nowMs: T0 + 1003 })).slot,
      ).toBe(b.slot);
    });

    it('gives one concurrent acquirer the last free slot', async () => {
      const store = await makeStore();
      const bucket = newBucket();
      const grants = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          store.acquireSlot({ bucket, limit: 1, owner: `o${i}`, leaseMs: 1000, nowMs: T0 }),
        ),
      );
      expect(grants.filter((g) => g.slot !== undefined)).toHaveLength(1);
    });

    it('stores the limits record as written', async () => {
      const store = await makeStore();
      const text = JSON.stringify({ version: 1, tasks: { [newBucket()]: { rateLimit: '5/s' } } });
      await store.writeLimits(text);
      expect(await store.readLimits()).toBe(text);
    });
  });
}
