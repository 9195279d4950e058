import { describe, expect, it } from 'vitest';
import { FlowControl, LIMITS_REFRESH_MS } from '../../../src/flow/flow-control.js';
import { LocalFlowStore } from '../../../src/flow/local-flow-store.js';
import { parseRate } from '../../../src/flow/rate.js';
import type { FlowStore } from '../../../src/ports/flow-store.js';

function setup(options: { batched?: boolean } = {}) {
  let now = 1_000_000;
  const store = new LocalFlowStore();
  const lines: string[] = [];
  const flow = new FlowControl(store, { now: () => now, log: (line) => lines.push(line), ...options });
  return { flow, store, lines, advance: (ms: number) => (now += ms), now: () => now };
}

describe('FlowControl tokens', () => {
  it('takes a batch per store request: at 40/s, ten runs for one request, then waits for the batch to pass', async () => {
    const { flow, store, now } = setup();
    const rate = parseRate('40/s', 'r');
    const results = [];
    for (let i = 0; i < 11; i++) results.push(await flow.take('b', rate));
    expect(results.slice(0, 10).every((r) => r.ok)).toBe(true);
    expect(results[10]).toEqual({ ok: false, retryAtMs: now() + 250 });
    // The refused eleventh asked once; the first ten shared one take.
    expect(store.calls.take).toBe(2);
  });

  it('shares one take between concurrent runs of the same bucket', async () => {
    const { flow, store } = setup();
    const rate = parseRate('100/s', 'r');
    const results = await Promise.all(Array.from({ length: 10 }, () => flow.take('b', rate)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(store.calls.take).toBe(1);
  });

  it('drops tokens whose time has passed, so no window sees more than rate × W + batch starts', async () => {
    const { flow, advance } = setup();
    const rate = parseRate('20/s', 'r'); // batch of 5 per 250 ms
    const starts: number[] = [];
    let t = 0;
    for (let step = 0; step < 400; step++) {
      // Three runs asking every 10 ms for 4 s.
      for (let k = 0; k < 3; k++) if ((await flow.take('b', rate)).ok) starts.push(t);
      advance(10);
      t += 10;
    }
    for (let from = 0; from <= 3000; from += 10) {
      const inWindow = starts.filter((s) => s >= from && s < from + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(20 + 5);
    }
    expect(starts.length).toBeGreaterThanOrEqual(75); // close to 20/s over 4 s: not starved
  });

  it('takes one token at a time when not batched (a process-local store)', async () => {
    const { flow, store } = setup({ batched: false });
    expect((await flow.take('b', parseRate('100/s', 'r'))).ok).toBe(true);
    expect((await flow.take('b', parseRate('100/s', 'r'))).ok).toBe(false);
    expect(store.calls.take).toBe(2);
  });
});

describe('FlowControl limits', () => {
  it('prefers the limits record over the code, re-reading it every refresh', async () => {
    const { flow, store, advance } = setup();
    expect((await flow.limitsOf('tasks.a', { rateLimit: '10/s' })).rate?.text).toBe('10/s');
    await store.writeLimits(JSON.stringify({ version: 1, tasks: { 'tasks.a': { rateLimit: '2/m' } } }));
    expect((await flow.limitsOf('tasks.a', { rateLimit: '10/s' })).rate?.text).toBe('10/s');
    advance(LIMITS_REFRESH_MS);
    expect((await flow.limitsOf('tasks.a', { rateLimit: '10/s' })).rate?.text).toBe('2/m');
    await store.writeLimits(JSON.stringify({ version: 1, tasks: { 'tasks.a': { rateLimit: '0' } } }));
    advance(LIMITS_REFRESH_MS);
    expect((await flow.limitsOf('tasks.a', { rateLimit: '10/s' })).rate).toBeUndefined();
  });

  it('falls back to the code on a corrupted record and logs it once', async () => {
    const { flow, store, lines, advance } = setup();
    await store.writeLimits('{"version":1,"tasks":{"tasks.a":{"rateLimit":"fast"}}}');
    for (let i = 0; i < 3; i++) {
      expect((await flow.limitsOf('tasks.a', { rateLimit: '10/s' })).rate?.text).toBe('10/s');
      advance(LIMITS_REFRESH_MS);
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /ignoring the limits record.*limits\.tasks\.a\.rateLimit.*using the limits in code/,
    );
  });

  it('keeps the limits in force when the record cannot be read, and logs it once', async () => {
    const lines: string[] = [];
    let now = 0;
    const failing: FlowStore = Object.assign(new LocalFlowStore(), {
      readLimits: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
    });
    const flow = new FlowControl(failing, { now: () => now, log: (line) => lines.push(line) });
    for (let i = 0; i < 3; i++) {
      expect((await flow.limitsOf('tasks.a', { rateLimit: '3/s' })).rate?.perSecond).toBe(3);
      now += LIMITS_REFRESH_MS;
    }
    expect(lines).toEqual([
      'cannot read the limits record (ProvisionedThroughputExceededException); keeping the limits in force',
    ]);
  });

  it('applies the app default to tasks without a limit, and key limits only with a key', async () => {
    const flow = new FlowControl(new LocalFlowStore(), {
      now: () => 0,
      log: () => undefined,
      defaultRate: parseRate('5/s', 'defaultRateLimit'),
    });
    expect((await flow.limitsOf('tasks.a', {})).rate?.perSecond).toBe(5);
    expect(
      await flow.limitsOf('tasks.b', { rateLimitKey: { header: 't' }, keyConcurrency: 2 }),
    ).toMatchObject({
      keyConcurrency: 2,
      key: { header: 't' },
    });
  });
});
