/**
 * The shape of a proxy-fault scenario: 100 tasks (quick ones, and flaky ones whose autoretries send messages
 * from inside the worker) on two workers whose every AWS call goes through the fault proxy with `rules`, then
 * the suite's invariants.
 */
import { expect } from 'vitest';
import { attemptFails } from '../fixtures/fault-app.js';
import type { FaultRule } from './fault-proxy.js';
import { calls, createScenario, type ScenarioFigures } from './fault-scenario.js';

/** Runs the standard workload under `rules`; returns the figures. */
export async function runUnderProxyFaults(
  name: string,
  rules: readonly FaultRule[],
  options: { visibilityTimeoutSeconds?: number; timeoutMs?: number; failFraction?: number } = {},
): Promise<ScenarioFigures> {
  const failFraction = options.failFraction ?? 0.2;
  const s = await createScenario(name, {
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 5,
    env: { FAULT_FAIL_FRACTION: String(failFraction) },
    seed: 1818,
  });
  try {
    const ids = await s.send([
      ...calls(60, 'faults.quick', (i) => [i]),
      ...calls(40, 'faults.flaky', (i) => [60 + i]),
    ]);
    // A flaky task whose every attempt (the first and its 10 retries) fails on purpose ends FAILURE, as Celery's
    // autoretry does: the attempts are a function of the random task id, so predict each from it.
    const flaky = new Set(ids.slice(60));
    const expected = (id: string): string =>
      flaky.has(id) && Array.from({ length: 11 }, (_, n) => attemptFails(id, n, failFraction)).every(Boolean)
        ? 'FAILURE FlakyTaskError'
        : 'SUCCESS';
    await Promise.all([s.startWorker({ concurrency: 8 }), s.startWorker({ concurrency: 8 })]);
    s.proxy.setRules(rules);
    const states = await s.waitForFinal(ids, options.timeoutMs ?? 60_000);
    s.proxy.setRules([]);
    const figures = s.check(ids, states, expected);
    const sample = s.lines(/failed|could not|UNRECORDED|UNCLAIMED|BUSY|FAILURE/, 8);
    if (sample.length > 0) console.log(`[faults] ${s.name} worker lines (sample)\n${sample.join('\n')}`);
    expect(s.proxy.stats().totalFaults, 'faults injected').toBeGreaterThan(0);
    return figures;
  } finally {
    await s.stop();
  }
}
