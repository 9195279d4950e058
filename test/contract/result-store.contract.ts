/**
 * The contract every ResultStore adapter meets. Run against the memory store and the DynamoDB store.
 */
import { describe, expect, it } from 'vitest';
import type { ResultStore } from '../../src/ports/result-store.js';
import { buildResultMeta } from '../../src/protocol/result-meta.js';

const NOW = 1_800_000_000_000;

const meta = (taskId: string, status: string, result: unknown = null) =>
  buildResultMeta({ taskId, status, result, dateDone: status === 'SUCCESS' ? new Date(NOW) : null });

let counter = 0;
const newId = () => `contract-${Date.now().toString(36)}-${++counter}`;

export function describeResultStoreContract(
  name: string,
  makeStore: () => ResultStore | Promise<ResultStore>,
): void {
  describe(`ResultStore contract: ${name}`, () => {
    const claim = (
      store: ResultStore,
      taskId: string,
      owner: string,
      extra: Partial<Parameters<ResultStore['claim']>[0]> = {},
    ) => store.claim({ taskId, owner, attempt: 0, leaseMs: 60_000, nowMs: NOW, ...extra });

    it('returns undefined for a task it never stored', async () => {
      const store = await makeStore();
      expect(await store.get(newId())).toBeUndefined();
    });

    it('stores and returns a meta with its values intact', async () => {
      const store = await makeStore();
      const id = newId();
      const stored = buildResultMeta({
        taskId: id,
        status: 'SUCCESS',
        result: { sum: 5, when: new Date(NOW) },
        dateDone: new Date(NOW),
      });
      expect(await store.put(id, stored, { nowMs: NOW })).toBe(true);
      expect(await store.get(id)).toEqual(stored);
    });

    it("never overwrites a SUCCESS (Celery's guard)", async () => {
      const store = await makeStore();
      const id = newId();
      await store.put(id, meta(id, 'SUCCESS', 1), { nowMs: NOW });
      expect(await store.put(id, meta(id, 'FAILURE'), { nowMs: NOW })).toBe(false);
      await store.complete({
        taskId: id,
        owner: 'o',
        attempt: 0,
        meta: meta(id, 'FAILURE'),
        state: 'FAILURE',
        nowMs: NOW,
      });
      expect((await store.get(id))?.status).toBe('SUCCESS');
    });

    it('grants the first claim and shows PENDING while the task runs without STARTED tracking', async () => {
      const store = await makeStore();
      const id = newId();
      expect(await claim(store, id, 'w1')).toEqual({ kind: 'claimed' });
      expect((await store.get(id))?.status).toBe('PENDING');
    });

    it('shows the running meta (STARTED) when one is given', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'w1', { runningMeta: meta(id, 'STARTED', { pid: 1, hostname: 'celeriac@h' }) });
      expect(await store.get(id)).toMatchObject({
        status: 'STARTED',
        result: { pid: 1, hostname: 'celeriac@h' },
      });
    });

    it('refuses a second owner while the lease is live, and says until when', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'w1');
      expect(await claim(store, id, 'w2', { nowMs: NOW + 1000 })).toEqual({
        kind: 'busy',
        leaseExpiresAtMs: NOW + 60_000,
        heldByAttempt: 0,
      });
    });

    it('lets the same owner (the same delivery, retrying a claim whose response was lost) claim again', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'w1');
      expect(await claim(store, id, 'w1', { nowMs: NOW + 1000 })).toEqual({ kind: 'claimed' });
    });

    it('lets another owner take over once the lease expired (a crashed worker)', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'w1');
      expect(await claim(store, id, 'w2', { nowMs: NOW + 60_001 })).toEqual({ kind: 'claimed' });
      expect(await claim(store, id, 'w1', { nowMs: NOW + 60_002 })).toMatchObject({ kind: 'busy' });
    });

    it('refuses every claim after SUCCESS or FAILURE, naming the state', async () => {
      const store = await makeStore();
      for (const state of ['SUCCESS', 'FAILURE']) {
        const id = newId();
        await claim(store, id, 'w1');
        await store.complete({
          taskId: id,
          owner: 'w1',
          attempt: 0,
          meta: meta(id, state),
          state,
          nowMs: NOW,
        });
        expect(await claim(store, id, 'w2', { nowMs: NOW + 1 })).toEqual({ kind: 'finished', state });
        expect((await store.get(id))?.status).toBe(state);
      }
    });

    it('refuses claims for a revoked task', async () => {
      const store = await makeStore();
      const id = newId();
      await store.put(id, meta(id, 'REVOKED'), { nowMs: NOW });
      expect(await claim(store, id, 'w1')).toEqual({ kind: 'finished', state: 'REVOKED' });
    });

    it('after RETRY, refuses the old attempt as stale and grants the next one', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'w1');
      await store.complete({
        taskId: id,
        owner: 'w1',
        attempt: 0,
        meta: meta(id, 'RETRY'),
        state: 'RETRY',
        nowMs: NOW,
      });
      expect(await claim(store, id, 'w2', { nowMs: NOW + 1 })).toEqual({ kind: 'stale', recordedAttempt: 1 });
      expect(await claim(store, id, 'w3', { attempt: 1, nowMs: NOW + 2 })).toEqual({ kind: 'claimed' });
    });

    it('remembers an ignored result as finished while readers still see PENDING', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'w1');
      await store.complete({
        taskId: id,
        owner: 'w1',
        attempt: 0,
        meta: undefined,
        state: 'SUCCESS',
        nowMs: NOW,
      });
      expect((await store.get(id))?.status).toBe('PENDING');
      expect(await claim(store, id, 'w2', { nowMs: NOW + 1 })).toEqual({
        kind: 'finished',
        state: 'SUCCESS',
      });
    });

    it('keeps the lease when a running task stores progress', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'w1');
      await store.put(id, meta(id, 'PROGRESS', { done: 1 }), { nowMs: NOW + 10 });
      expect(await store.get(id)).toMatchObject({ status: 'PROGRESS', result: { done: 1 } });
      expect(await claim(store, id, 'w2', { nowMs: NOW + 20 })).toMatchObject({ kind: 'busy' });
    });

    it('renews a lease only for its owner', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'w1');
      expect(await store.renewClaim({ taskId: id, owner: 'w2', leaseMs: 120_000, nowMs: NOW })).toBe(false);
      expect(await store.renewClaim({ taskId: id, owner: 'w1', leaseMs: 120_000, nowMs: NOW })).toBe(true);
      expect(await claim(store, id, 'w2', { nowMs: NOW + 90_000 })).toEqual({
        kind: 'busy',
        leaseExpiresAtMs: NOW + 120_000,
        heldByAttempt: 0,
      });
    });

    it('refuses to renew the lease of a task revoked while it runs, and keeps REVOKED', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'w1');
      expect(await store.renewClaim({ taskId: id, owner: 'w1', leaseMs: 60_000, nowMs: NOW + 10 })).toBe(
        true,
      );
      await store.put(id, meta(id, 'REVOKED'), { nowMs: NOW + 20 });
      expect(await store.renewClaim({ taskId: id, owner: 'w1', leaseMs: 60_000, nowMs: NOW + 30 })).toBe(
        false,
      );
      expect((await store.get(id))?.status).toBe('REVOKED');
    });

    it('releases a claim for its owner, so the next delivery claims at once', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'delivery-1', { runningMeta: meta(id, 'STARTED', { pid: 1 }) });
      expect(await store.releaseClaim({ taskId: id, owner: 'delivery-1', nowMs: NOW + 10 })).toBe(true);
      expect(await claim(store, id, 'delivery-2', { nowMs: NOW + 20 })).toEqual({ kind: 'claimed' });
      expect((await store.get(id))?.status).toBe('STARTED');
    });

    it('refuses to release a claim the owner no longer holds, and leaves the holder in place', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'delivery-1');
      await claim(store, id, 'delivery-2', { nowMs: NOW + 60_001 });
      expect(await store.releaseClaim({ taskId: id, owner: 'delivery-1', nowMs: NOW + 60_002 })).toBe(false);
      expect(await claim(store, id, 'delivery-3', { nowMs: NOW + 60_003 })).toMatchObject({
        kind: 'busy',
        leaseExpiresAtMs: NOW + 60_001 + 60_000,
      });
      expect(await store.releaseClaim({ taskId: newId(), owner: 'delivery-1', nowMs: NOW })).toBe(false);
    });

    it('ends the released owner’s hold: it can neither renew nor report progress afterwards', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'delivery-1');
      await store.releaseClaim({ taskId: id, owner: 'delivery-1', nowMs: NOW + 10 });
      expect(
        await store.renewClaim({ taskId: id, owner: 'delivery-1', leaseMs: 60_000, nowMs: NOW + 20 }),
      ).toBe(false);
      expect(await store.put(id, meta(id, 'PROGRESS', 1), { nowMs: NOW + 30, owner: 'delivery-1' })).toBe(
        false,
      );
      expect(await store.releaseClaim({ taskId: id, owner: 'delivery-1', nowMs: NOW + 40 })).toBe(false);
    });

    it('keeps the attempt across a release: an older attempt is still stale', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'delivery-1', { attempt: 2 });
      await store.releaseClaim({ taskId: id, owner: 'delivery-1', nowMs: NOW + 10 });
      expect(await claim(store, id, 'delivery-2', { attempt: 1, nowMs: NOW + 20 })).toEqual({
        kind: 'stale',
        recordedAttempt: 2,
      });
      expect(await claim(store, id, 'delivery-3', { attempt: 2, nowMs: NOW + 30 })).toEqual({
        kind: 'claimed',
      });
    });

    it('still releases through renewClaim with a zero lease (the older spelling)', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'delivery-1');
      expect(await store.renewClaim({ taskId: id, owner: 'delivery-1', leaseMs: 0, nowMs: NOW + 10 })).toBe(
        true,
      );
      expect(await claim(store, id, 'delivery-2', { nowMs: NOW + 10 })).toEqual({ kind: 'claimed' });
    });

    it('refuses a second delivery of a running message: owners are unique per delivery', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'worker-a:message-1:receipt-1');
      expect(await claim(store, id, 'worker-a:message-1:receipt-2', { nowMs: NOW + 1000 })).toMatchObject({
        kind: 'busy',
      });
    });

    it('saves a group and counts its chord, up to deletion', async () => {
      const store = await makeStore();
      const gid = newId();
      expect(await store.getGroupMembers(gid)).toBeUndefined();
      expect(await store.incrementChordCounter(gid, [0])).toBeUndefined();
      await store.saveGroup(gid, ['a', 'b', 'c'], NOW);
      expect(await store.getGroupMembers(gid)).toEqual(['a', 'b', 'c']);
      expect(await store.incrementChordCounter(gid, [0])).toEqual({ count: 1, counted: [0] });
      expect(await store.incrementChordCounter(gid, [1])).toEqual({ count: 2, counted: [1] });
      await store.deleteChord(gid);
      expect(await store.getGroupMembers(gid)).toBeUndefined();
      expect(await store.incrementChordCounter(gid, [2])).toBeUndefined();
    });

    it('counts a chord member once, however often it is counted', async () => {
      const store = await makeStore();
      const gid = newId();
      await store.saveGroup(gid, ['a', 'b'], NOW);
      expect(await store.incrementChordCounter(gid, [0])).toEqual({ count: 1, counted: [0] });
      expect(await store.incrementChordCounter(gid, [0])).toEqual({ count: 1, counted: [] });
      expect(await store.incrementChordCounter(gid, [1])).toEqual({ count: 2, counted: [1] });
    });

    it('counts several members in one write, each once, skipping those counted before', async () => {
      const store = await makeStore();
      const gid = newId();
      await store.saveGroup(gid, ['a', 'b', 'c', 'd'], NOW);
      expect(await store.incrementChordCounter(gid, [0, 1])).toEqual({ count: 2, counted: [0, 1] });
      expect(await store.incrementChordCounter(gid, [1, 2, 2, 3])).toEqual({
        count: 4,
        counted: [2, 3],
      });
      expect(await store.incrementChordCounter(gid, [0, 3])).toEqual({ count: 4, counted: [] });
    });

    it('lets one member join a chord, and that member again, but no other nor a chord that is gone', async () => {
      const store = await makeStore();
      const gid = newId();
      expect(await store.claimChordJoin(gid, 'a')).toBe(false);
      await store.saveGroup(gid, ['a', 'b'], NOW);
      expect(await store.claimChordJoin(gid, 'b')).toBe(true);
      expect(await store.claimChordJoin(gid, 'a')).toBe(false);
      expect(await store.claimChordJoin(gid, 'b')).toBe(true);
      await store.deleteChord(gid);
      expect(await store.claimChordJoin(gid, 'b')).toBe(false);
    });

    it('stores progress only while the owner holds the claim', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'w1');
      expect(await store.put(id, meta(id, 'PROGRESS', 1), { nowMs: NOW, owner: 'w2' })).toBe(false);
      expect(await store.put(id, meta(id, 'PROGRESS', 1), { nowMs: NOW, owner: 'w1' })).toBe(true);
      await store.complete({
        taskId: id,
        owner: 'w1',
        attempt: 0,
        meta: meta(id, 'FAILURE'),
        state: 'FAILURE',
        nowMs: NOW,
      });
      expect(await store.put(id, meta(id, 'PROGRESS', 2), { nowMs: NOW, owner: 'w1' })).toBe(false);
      expect((await store.get(id))?.status).toBe('FAILURE');
    });

    it('stores only if absent when asked, and never over an existing record', async () => {
      const store = await makeStore();
      const id = newId();
      expect(await store.put(id, meta(id, 'FAILURE'), { nowMs: NOW, onlyIfAbsent: true })).toBe(true);
      expect(await store.put(id, meta(id, 'REVOKED'), { nowMs: NOW, onlyIfAbsent: true })).toBe(false);
      expect((await store.get(id))?.status).toBe('FAILURE');
    });

    it('ignores a completion from an owner whose claim was taken over', async () => {
      const store = await makeStore();
      const id = newId();
      await claim(store, id, 'w1');
      await claim(store, id, 'w2', { nowMs: NOW + 60_001 });
      await store.complete({
        taskId: id,
        owner: 'w1',
        attempt: 0,
        meta: meta(id, 'FAILURE'),
        state: 'FAILURE',
        nowMs: NOW + 60_002,
      });
      expect((await store.get(id))?.status).toBe('PENDING');
      await store.complete({
        taskId: id,
        owner: 'w2',
        attempt: 0,
        meta: meta(id, 'SUCCESS', 1),
        state: 'SUCCESS',
        nowMs: NOW + 60_003,
      });
      expect((await store.get(id))?.status).toBe('SUCCESS');
    });

    const once = (
      store: ResultStore,
      taskId: string,
      status: string,
      extra: { attempt?: number; nowMs?: number } = {},
    ) =>
      store.completeOnce({
        taskId,
        owner: 'ignored',
        attempt: extra.attempt ?? 0,
        meta: meta(taskId, status, status === 'SUCCESS' ? 42 : null),
        state: status,
        nowMs: extra.nowMs ?? NOW,
      });

    it('records a run without a claim in one write, and never over a finished task', async () => {
      const store = await makeStore();
      const id = newId();
      expect(await once(store, id, 'SUCCESS')).toBe(true);
      expect(await store.get(id)).toMatchObject({ status: 'SUCCESS', result: 42 });
      // A duplicate delivery's outcome is refused, whatever it is.
      expect(await once(store, id, 'FAILURE')).toBe(false);
      expect((await store.get(id))?.status).toBe('SUCCESS');
      const failed = newId();
      expect(await once(store, failed, 'FAILURE')).toBe(true);
      expect(await once(store, failed, 'SUCCESS')).toBe(false);
      const revoked = newId();
      await store.put(revoked, meta(revoked, 'REVOKED'), { nowMs: NOW });
      expect(await once(store, revoked, 'SUCCESS')).toBe(false);
      expect((await store.get(revoked))?.status).toBe('REVOKED');
    });

    it('records RETRY for the next attempt and refuses the older attempt afterwards', async () => {
      const store = await makeStore();
      const id = newId();
      expect(await once(store, id, 'RETRY', { attempt: 0 })).toBe(true);
      expect(await once(store, id, 'SUCCESS', { attempt: 0 })).toBe(false);
      expect(await once(store, id, 'SUCCESS', { attempt: 1 })).toBe(true);
    });

    it('refuses a one-write outcome while a delivery holds a live claim, and takes it once the lease ended', async () => {
      const store = await makeStore();
      const id = newId();
      expect(await claim(store, id, 'holder')).toEqual({ kind: 'claimed' });
      expect(await once(store, id, 'SUCCESS')).toBe(false);
      expect(await once(store, id, 'SUCCESS', { nowMs: NOW + 60_000 })).toBe(true);
    });

    it('records bulk outcomes unconditionally, many at once, the later of two for one task kept', async () => {
      const store = await makeStore();
      const ids = Array.from({ length: 30 }, () => newId());
      const finished = newId();
      await store.put(finished, meta(finished, 'SUCCESS', 1), { nowMs: NOW });
      const request = (taskId: string, status: string) => ({
        taskId,
        owner: 'ignored',
        attempt: 0,
        meta: meta(taskId, status, status === 'SUCCESS' ? 42 : null),
        state: status,
        nowMs: NOW,
      });
      await store.completeMany([
        ...ids.map((id) => request(id, 'SUCCESS')),
        request(finished, 'FAILURE'), // a duplicate delivery's outcome replaces a finished one in this mode
        request(ids[0] as string, 'RETRY'),
      ]);
      expect(await store.get(ids[29] as string)).toMatchObject({ status: 'SUCCESS', result: 42 });
      expect((await store.get(finished))?.status).toBe('FAILURE');
      expect((await store.get(ids[0] as string))?.status).toBe('RETRY');
    });

    it('reads many results in the order asked, in batches past 100, with PENDING as undefined', async () => {
      const store = await makeStore();
      const ids = Array.from({ length: 130 }, () => newId());
      for (const [i, id] of ids.entries()) {
        if (i % 3 !== 1) await store.put(id, meta(id, 'SUCCESS', i), { nowMs: NOW });
      }
      const asked = [...ids].reverse();
      asked.push(ids[0] as string); // asked for twice: read once, answered twice
      const metas = await store.getMany(asked);
      expect(metas).toHaveLength(asked.length);
      metas.forEach((m, j) => {
        const i = ids.indexOf(asked[j] as string);
        if (i % 3 === 1) expect(m).toBeUndefined();
        else expect(m).toMatchObject({ task_id: asked[j], status: 'SUCCESS', result: i });
      });
      expect(await store.getMany([])).toEqual([]);
    });

    it('forgets a result', async () => {
      const store = await makeStore();
      const id = newId();
      await store.put(id, meta(id, 'SUCCESS', 1), { nowMs: NOW });
      await store.forget(id);
      expect(await store.get(id)).toBeUndefined();
    });
  });
}
