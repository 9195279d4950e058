/**
 * Scenario 1: workers SIGKILLed mid-batch. The killed workers' messages come back after their visibility
 * timeout, their leases expire with it, and the surviving and replacement workers finish every task; no attempt's
 * body finishes twice except where the process that finished it died before recording the outcome.
 */
import { describe, expect, it } from 'vitest';
import { calls, createScenario, until } from './helpers/fault-scenario.js';
import { readSideLog } from './helpers/side-log.js';

describe('fault scenario: SIGKILL mid-batch', () => {
  it('finishes all 150 tasks exactly once per attempt when 2 of 3 workers are SIGKILLed while tasks run', async () => {
    const s = await createScenario('sigkill', { visibilityTimeoutSeconds: 4 });
    try {
      const ids = await s.send(calls(150, 'faults.slow', (i) => [i, 300 + (i % 8) * 100]));
      const [first, second] = await Promise.all([1, 2, 3].map(() => s.startWorker({ concurrency: 6 })));
      const started = () => readSideLog(s.sideLogPath).filter((r) => r.ev === 'start').length;
      await until(() => started() >= 25, 60_000, '25 tasks started');
      if (first) await s.kill(first);
      const replacement = s.startWorker({ concurrency: 6 });
      await until(() => started() >= 60, 60_000, '60 tasks started');
      if (second) await s.kill(second);
      await replacement;
      await s.startWorker({ concurrency: 6 });

      const states = await s.waitForFinal(ids, 90_000);
      s.check(ids, states);
      expect(s.killed).toHaveLength(2);
      const wrong = ids.filter(
        (id, i) => states.get(id)?.status === 'SUCCESS' && states.get(id)?.result !== i * 2,
      );
      expect(wrong, 'SUCCESS results that are not the task’s value').toEqual([]);
    } finally {
      await s.stop();
    }
  });
});
