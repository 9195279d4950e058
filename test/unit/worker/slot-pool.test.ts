import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SlotPool } from '../../../src/worker/slot-pool.js';

interface SimQueue {
  readonly name: string;
  readonly weight: number;
  /** Messages waiting; `Infinity` for a queue that never runs dry. */
  messages: number;
}

/**
 * Drives a pool the way `runWorker` does: one poller per queue reserves, "receives" what its queue has and
 * settles; tasks finish one at a time, the oldest first. Returns the queue of every task in start order and the
 * most tasks each queue ever ran at once.
 */
async function simulate(
  concurrency: number,
  queues: SimQueue[],
  finishes: number,
  onFinish: (finished: number, started: readonly string[]) => void = () => undefined,
) {
  const pool = new SlotPool(concurrency);
  for (const q of queues) pool.addQueue(q.name, q.weight);
  const running: string[] = [];
  const started: string[] = [];
  const peak: Record<string, number> = {};
  const pollers = queues.map(async (q) => {
    for (;;) {
      const slots = await pool.reserve(q.name);
      if (slots === 0) return;
      const got = Math.min(slots, q.messages);
      q.messages -= got;
      pool.settle(q.name, slots, got);
      for (let i = 0; i < got; i++) {
        running.push(q.name);
        started.push(q.name);
      }
      peak[q.name] = Math.max(peak[q.name] ?? 0, running.filter((name) => name === q.name).length);
      if (got === 0) await tick(); // an empty long poll takes a while
    }
  });
  for (let i = 0; i < finishes; i++) {
    await tick();
    const done = running.shift();
    if (done === undefined) continue;
    pool.release(done);
    onFinish(i + 1, started);
  }
  pool.close();
  await Promise.all(pollers);
  return { started, peak, pool };
}

const share = (started: readonly string[], name: string) =>
  started.filter((queue) => queue === name).length / started.length;

describe('SlotPool shares slots by weight', () => {
  it.each([
    [6, 2, 1],
    [8, 4, 1],
    [1, 2, 1],
    [3, 1, 1],
  ])('with concurrency %i and both queues full, starts tasks in the weights %i:%i', async (c, wh, wd) => {
    const { started } = await simulate(
      c,
      [
        { name: 'high', weight: wh, messages: Number.POSITIVE_INFINITY },
        { name: 'default', weight: wd, messages: Number.POSITIVE_INFINITY },
      ],
      600,
    );
    expect(share(started, 'high')).toBeGreaterThan(wh / (wh + wd) - 0.05);
    expect(share(started, 'high')).toBeLessThan(wh / (wh + wd) + 0.05);
  });

  it('lends an empty queue’s share to the busy one', async () => {
    const { peak, started } = await simulate(
      8,
      [
        { name: 'high', weight: 1, messages: Number.POSITIVE_INFINITY },
        { name: 'default', weight: 4, messages: 0 },
      ],
      200,
    );
    expect(started.every((queue) => queue === 'high')).toBe(true);
    // The empty queue holds at most the one slot it polls with.
    expect(peak.high).toBeGreaterThanOrEqual(7);
  });

  it('gives a queue that was idle its share when messages arrive, without credit for the idle time', async () => {
    const high: SimQueue = { name: 'high', weight: 2, messages: Number.POSITIVE_INFINITY };
    const low: SimQueue = { name: 'default', weight: 1, messages: 0 };
    let arrivedAt = -1;
    const { started } = await simulate(4, [high, low], 800, (finished, startedSoFar) => {
      if (finished === 400) {
        low.messages = Number.POSITIVE_INFINITY;
        arrivedAt = startedSoFar.length;
      }
    });
    const after = started.slice(arrivedAt);
    expect(share(after, 'default')).toBeGreaterThan(1 / 3 - 0.06);
    expect(share(after, 'default')).toBeLessThan(1 / 3 + 0.06);
    // Its first tasks come within a few grants, and it does not run alone to catch up.
    expect(after.slice(0, 12)).toContain('default');
    expect(after.slice(0, 12)).toContain('high');
  });

  it('lets a single queue reserve every free slot, up to 10 per receive', async () => {
    const pool = new SlotPool(16);
    pool.addQueue('celery', 1);
    expect(await pool.reserve('celery')).toBe(10);
    pool.settle('celery', 10, 10);
    expect(await pool.reserve('celery')).toBe(6);
    expect(pool.free).toBe(0);
  });

  it('makes an idle queue ask for one message at a time while another queue is consumed', async () => {
    const pool = new SlotPool(8);
    pool.addQueue('high', 1);
    pool.addQueue('default', 1);
    expect(await pool.reserve('high')).toBe(1);
    pool.settle('high', 1, 1);
    expect(await pool.reserve('default')).toBe(1);
    pool.settle('default', 1, 1); // it had a message: busy now, with its share of 8 / 2, one of it held
    expect(await pool.reserve('default')).toBe(3);
    pool.settle('default', 3, 0); // empty again: back to one at a time, its share lent to high
    expect(await pool.reserve('default')).toBe(1);
    pool.settle('default', 1, 0);
    expect(await pool.reserve('high')).toBe(8 - 2); // every slot but the two held: default lends its share
  });

  it('hands a waiting poller 0 when its queue is removed or the pool closes', async () => {
    const pool = new SlotPool(1);
    pool.addQueue('a', 1);
    pool.addQueue('b', 1);
    pool.addQueue('c', 1);
    expect(await pool.reserve('a')).toBe(1);
    const b = pool.reserve('b');
    const c = pool.reserve('c');
    pool.removeQueue('b');
    expect(await b).toBe(0);
    expect(await pool.reserve('b')).toBe(0);
    pool.close();
    expect(await c).toBe(0);
  });
});
