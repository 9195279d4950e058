import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SlotPool, type SlotPoolOptions } from '../../../src/worker/slot-pool.js';

interface SimQueue {
  readonly name: string;
  readonly weight: number;
  /** Messages waiting; `Infinity` for a queue that never runs dry. */
  messages: number;
}

/**
 * Drives a pool the way `runWorker` does: one poller per queue reserves, "receives" what its queue has and
 * settles; received messages start while a running slot is free, the oldest first; tasks finish one at a time,
 * the oldest first. Returns the queue of every task in start order and the most tasks each queue ran at once.
 */
async function simulate(
  concurrency: number,
  queues: SimQueue[],
  finishes: number,
  onFinish: (finished: number, started: readonly string[]) => void = () => undefined,
  options: Partial<SlotPoolOptions> = {},
) {
  const pool = new SlotPool({ prefetch: 10, ...options, concurrency });
  for (const q of queues) pool.addQueue(q.name, q.weight);
  const waiting: string[] = [];
  const running: string[] = [];
  const started: string[] = [];
  const peak: Record<string, number> = {};
  const startReady = () => {
    while (pool.canStart && waiting.length > 0) {
      const name = waiting.shift() as string;
      pool.start(name);
      running.push(name);
      started.push(name);
      peak[name] = Math.max(peak[name] ?? 0, running.filter((other) => other === name).length);
    }
  };
  const pollers = queues.map(async (q) => {
    for (;;) {
      const slots = await pool.reserve(q.name);
      if (slots === 0) return;
      const got = Math.min(slots, q.messages);
      q.messages -= got;
      pool.settle(q.name, slots, got);
      for (let i = 0; i < got; i++) waiting.push(q.name);
      startReady();
      if (got === 0) await tick(); // an empty long poll takes a while
    }
  });
  for (let i = 0; i < finishes; i++) {
    await tick();
    const done = running.shift();
    if (done === undefined) continue;
    pool.release(done);
    startReady();
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

  it('lends an empty queue’s share to the busy one, probing it at most once per probe interval', async () => {
    const { peak, started } = await simulate(
      8,
      [
        { name: 'high', weight: 1, messages: Number.POSITIVE_INFINITY },
        { name: 'default', weight: 4, messages: 0 },
      ],
      200,
    );
    expect(started.every((queue) => queue === 'high')).toBe(true);
    expect(peak.high).toBe(8);
  });

  it('gives a queue that was idle its share when messages arrive, without credit for the idle time', async () => {
    const high: SimQueue = { name: 'high', weight: 2, messages: Number.POSITIVE_INFINITY };
    const low: SimQueue = { name: 'default', weight: 1, messages: 0 };
    let arrivedAt = -1;
    // Probed at every turn here (probeMs 0), so the messages are found at once.
    const { started } = await simulate(
      4,
      [high, low],
      1200,
      (finished, startedSoFar) => {
        if (finished === 400) {
          low.messages = Number.POSITIVE_INFINITY;
          arrivedAt = startedSoFar.length;
        }
      },
      { probeMs: 0 },
    );
    const after = started.slice(arrivedAt);
    expect(share(after, 'default')).toBeGreaterThan(1 / 3 - 0.06);
    expect(share(after, 'default')).toBeLessThan(1 / 3 + 0.06);
    // Its first tasks come within a few batches, and it does not run alone to catch up.
    expect(after.slice(0, 30)).toContain('default');
    expect(after.slice(0, 30)).toContain('high');
    expect(after.slice(0, 30).filter((queue) => queue === 'default').length).toBeLessThanOrEqual(20);
  });

  it('asks for full batches of 10, and for fewer only when a slot would stay idle, after the merge window', async () => {
    const pool = new SlotPool({ concurrency: 16, mergeMs: 20 });
    pool.addQueue('celery', 1);
    expect(await pool.reserve('celery')).toBe(10);
    pool.settle('celery', 10, 10);
    for (let i = 0; i < 10; i++) pool.start('celery');
    const askedAt = Date.now();
    expect(await pool.reserve('celery')).toBe(6);
    expect(Date.now() - askedAt).toBeGreaterThanOrEqual(15);
    expect(pool.free).toBe(0);
    pool.close();
  });

  it('receives ahead of free slots, up to the prefetch, and only in full batches', async () => {
    const pool = new SlotPool({ concurrency: 2, prefetch: 10 });
    pool.addQueue('celery', 1);
    expect(await pool.reserve('celery')).toBe(10);
    pool.settle('celery', 10, 10);
    pool.start('celery');
    pool.start('celery');
    expect(pool.canStart).toBe(false);
    let next: number | undefined;
    void pool.reserve('celery').then((slots) => {
      next = slots;
    });
    // 8 wait: room for 2 only, not a batch, and no slot is idle.
    pool.release('celery');
    pool.start('celery');
    await tick();
    expect(next).toBeUndefined();
    for (let i = 0; i < 8; i++) {
      pool.release('celery');
      pool.start('celery');
    }
    pool.release('celery');
    pool.release('celery');
    await tick();
    expect(next).toBe(10);
    pool.close();
  });

  it('long-polls every queue for a part of the room while all are idle, then the busy one for full batches', async () => {
    const pool = new SlotPool({ concurrency: 10, prefetch: 2 });
    pool.addQueue('high', 2);
    pool.addQueue('default', 1);
    // 12 slots, two idle queues: 8 and 4 by their weights, every queue polled at once.
    expect(await Promise.all([pool.reserve('high'), pool.reserve('default')])).toEqual([8, 4]);
    expect(pool.waitFor('high', 20)).toBe(20);
    pool.settle('default', 4, 0);
    pool.settle('high', 8, 1);
    expect(await pool.reserve('high')).toBe(10);
    expect(pool.waitFor('high', 20)).toBe(1); // busy among several: short polls, the others get their turn
    pool.close();
  });

  it('probes an idle queue without waiting, at most once per probe interval, while another is busy', async () => {
    const pool = new SlotPool({ concurrency: 40, probeMs: 50 });
    pool.addQueue('high', 1);
    pool.addQueue('default', 1);
    expect(await pool.reserve('high')).toBe(10); // 40 slots, two idle queues: a full batch each
    pool.settle('high', 10, 10);
    expect(pool.waitFor('default', 20)).toBe(0); // not known busy, another queue is: a probe, due at once
    expect(await pool.reserve('default')).toBe(10);
    pool.settle('default', 10, 0);
    expect(pool.waitFor('default', 20)).toBe(0);
    const askedAt = Date.now();
    expect(await pool.reserve('default')).toBe(10);
    expect(Date.now() - askedAt).toBeGreaterThanOrEqual(45);
    pool.close();
  });

  it('receives from a FIFO queue into free running slots only, never into the prefetch', async () => {
    const pool = new SlotPool({ concurrency: 4, prefetch: 10 });
    pool.addQueue('jobs.fifo', 1, true);
    expect(await pool.reserve('jobs.fifo')).toBe(4);
    pool.close();
  });

  it('hands a waiting poller 0 when its queue is removed or the pool closes', async () => {
    const pool = new SlotPool({ concurrency: 1 });
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
