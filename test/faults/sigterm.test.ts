/**
 * Scenario 2: SIGTERM under load. A stopping worker stops receiving, lets short tasks finish within its shutdown
 * timeout and hands the long ones back (claim released, message visible at once), then exits 0. Once every
 * worker has stopped, no message may be left invisible (nothing stranded by an aborted long poll), and a fresh
 * worker finishes everything that was handed back.
 */
import { describe, expect, it } from 'vitest';
import { FaultKind } from './helpers/fault-proxy.js';
import { calls, createScenario, pause, until } from './helpers/fault-scenario.js';
import { readSideLog } from './helpers/side-log.js';

describe('fault scenario: SIGTERM under load', () => {
  it('hands running tasks back on SIGTERM and loses none of 120', async () => {
    const s = await createScenario('sigterm', { visibilityTimeoutSeconds: 10 });
    try {
      // Mostly short tasks, and every fourth one longer than the 1 s shutdown timeout, so some are handed back.
      const ids = await s.send(
        calls(120, 'faults.slow', (i) => [i, i % 4 === 0 ? 2500 : 200 + (i % 5) * 60]),
      );
      const started = () => readSideLog(s.sideLogPath).filter((r) => r.ev === 'start').length;
      const args = { concurrency: 6, extraArgs: ['--shutdown-timeout', '1', '--wait-time', '5'] };
      const [a, b] = await Promise.all([s.startWorker(args), s.startWorker(args)]);
      await until(() => started() >= 15, 60_000, '15 tasks started');
      a?.child.kill('SIGTERM');
      const c = await s.startWorker(args);
      await until(() => started() >= 50, 60_000, '50 tasks started');
      b?.child.kill('SIGTERM');
      // The last worker stops while its long poll is under way: the network holds ReceiveMessage answers for 2 s,
      // so the emulator has already handed out messages when the worker gives up waiting for them.
      s.proxy.setRules([{ match: 'AmazonSQS.ReceiveMessage', fault: FaultKind.SlowAnswer, delayMs: 2000 }]);
      await pause(1000);
      c.child.kill('SIGTERM');
      const exits = await Promise.all([a, b, c].map((w) => w?.exited));
      expect(exits, 'every worker exits 0 after SIGTERM').toEqual(
        exits.map(() => ({ code: 0, signal: null })),
      );
      const handedBack = s.lines(/handing \d+ running task\(s\) back/);
      console.log(`[faults] ${s.name} hand-back lines ${JSON.stringify(handedBack)}`);
      expect(handedBack.length, 'some worker handed running tasks back').toBeGreaterThan(0);

      // Every worker has stopped: whatever is not finished must be visible again, none stranded in flight.
      const depth = await s.depth();
      console.log(`[faults] ${s.name} queue after every worker stopped ${JSON.stringify(depth)}`);
      expect.soft(depth.inFlight, 'messages left invisible by stopped workers').toBe(0);

      s.proxy.setRules([]);
      await s.startWorker({ concurrency: 10 });
      const states = await s.waitForFinal(ids, 60_000);
      s.check(ids, states);
    } finally {
      await s.stop();
    }
  });
});
