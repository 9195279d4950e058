/**
 * Scenario 6: the emulator freezes. Mid-run, the proxy holds every request (receives, claims, result writes,
 * deletes, heartbeats) for 5 s, then lets them all through. Nothing may be lost, and nothing may run twice: the
 * workers' default-like 20 s visibility outlasts the freeze, so no message comes back while its task runs.
 */
import { describe, expect, it } from 'vitest';
import { calls, createScenario, until } from './helpers/fault-scenario.js';
import { readSideLog } from './helpers/side-log.js';

describe('fault scenario: emulator freeze', () => {
  it('loses nothing and runs nothing twice when every request is held for 5 s mid-run', async () => {
    const s = await createScenario('freeze', { visibilityTimeoutSeconds: 20 });
    try {
      const ids = await s.send([
        ...calls(100, 'faults.quick', (i) => [i]),
        ...calls(50, 'faults.slow', (i) => [100 + i, 400 + (i % 5) * 200]),
      ]);
      await Promise.all([s.startWorker({ concurrency: 10 }), s.startWorker({ concurrency: 10 })]);
      await until(
        () => readSideLog(s.sideLogPath).filter((r) => r.ev === 'end').length >= 40,
        60_000,
        '40 tasks done',
      );
      s.proxy.freeze(5000);
      const states = await s.waitForFinal(ids, 90_000);
      const figures = s.check(ids, states);
      expect(s.proxy.stats().frozen, 'requests held by the freeze').toBeGreaterThan(0);
      expect(figures.lost).toEqual([]);
    } finally {
      await s.stop();
    }
  });
});
