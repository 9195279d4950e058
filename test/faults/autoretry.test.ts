/**
 * Scenario 4: 20% task exceptions with autoretry. `faults.flaky` throws on a fixed fifth of its attempts (chosen
 * by a hash of task id and retries, so the test knows which) and lists that error in `autoretryFor` with
 * `maxRetries` 10 and a 1 s countdown. Every task must end SUCCESS after exactly the attempts the hash predicts,
 * each attempt's body running once.
 */
import { describe, expect, it } from 'vitest';
import { attemptFails } from './fixtures/fault-app.js';
import { calls, createScenario } from './helpers/fault-scenario.js';
import { readSideLog } from './helpers/side-log.js';

describe('fault scenario: 20% task exceptions with autoretry', () => {
  it('ends all 200 tasks SUCCESS after their retries, each attempt run once', async () => {
    const s = await createScenario('autoretry', { visibilityTimeoutSeconds: 10 });
    try {
      const ids = await s.send(calls(200, 'faults.flaky', (i) => [i]));
      await Promise.all([s.startWorker({ concurrency: 10 }), s.startWorker({ concurrency: 10 })]);
      const states = await s.waitForFinal(ids, 90_000);
      s.check(ids, states);

      const attempts = new Map<string, number>();
      for (const r of readSideLog(s.sideLogPath)) {
        if (r.ev === 'end') attempts.set(r.id, (attempts.get(r.id) ?? 0) + 1);
      }
      const predicted = (id: string): number => {
        let n = 0;
        while (attemptFails(id, n, 0.2)) n++;
        return n + 1;
      };
      const retried = ids.filter((id) => predicted(id) > 1).length;
      console.log(`[faults] ${s.name} tasks that needed a retry: ${retried} of ${ids.length}`);
      expect(retried, 'about a fifth of the tasks fail their first attempt').toBeGreaterThan(20);
      const off = ids
        .filter((id) => attempts.get(id) !== predicted(id))
        .map((id) => ({ id, ran: attempts.get(id) ?? 0, predicted: predicted(id) }));
      expect.soft(off, 'tasks whose attempts ran other than once each').toEqual([]);
      const wrong = ids.filter(
        (id, i) => states.get(id)?.status === 'SUCCESS' && states.get(id)?.result !== i * 2,
      );
      expect(wrong, 'SUCCESS results that are not the task’s value').toEqual([]);
    } finally {
      await s.stop();
    }
  });
});
