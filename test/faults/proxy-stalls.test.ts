/**
 * Scenario 7, part 2: KMS throttling on sends, an endpoint that accepts some requests and never answers, and
 * ChangeMessageVisibility throttled so heartbeats cannot extend running messages.
 */
import { describe, expect, it } from 'vitest';
import { FaultKind } from './helpers/fault-proxy.js';
import { calls, createScenario } from './helpers/fault-scenario.js';
import { runUnderProxyFaults } from './helpers/proxy-fault-run.js';

describe('fault scenario: KMS throttling, hung requests, throttled heartbeats', () => {
  it('keeps autoretrying tasks alive when SendMessage is KMS-throttled (KmsThrottled is transient)', async () => {
    await runUnderProxyFaults(
      'kms',
      [{ match: /^AmazonSQS\.SendMessage/, fault: FaultKind.KmsThrottled, probability: 0.1 }],
      { failFraction: 0.5 },
    );
  });

  it('gets past requests that the endpoint accepts and never answers', async () => {
    await runUnderProxyFaults(
      'hang',
      [{ match: /^(AmazonSQS|DynamoDB_20120810)\./, fault: FaultKind.Hang, probability: 0.03, count: 6 }],
      { timeoutMs: 60_000 },
    );
  });

  it('never runs a task twice at once when ChangeMessageVisibility is throttled and its message comes back', async () => {
    // A 2 s visibility and 5 s tasks: every heartbeat's visibility extension is throttled, so each message
    // becomes visible again while its task runs. Only the claim (renewed in DynamoDB) can hold the copy back.
    const s = await createScenario('cmv', {
      visibilityTimeoutSeconds: 2,
      rules: [{ match: /^AmazonSQS\.ChangeMessageVisibility/, fault: FaultKind.Throttle }],
    });
    try {
      const ids = await s.send(calls(24, 'faults.slow', (i) => [i, 5000]));
      await Promise.all([s.startWorker({ concurrency: 24 }), s.startWorker({ concurrency: 24 })]);
      const states = await s.waitForFinal(ids, 60_000);
      s.check(ids, states);
      expect(s.proxy.stats().faultsByKind.throttle ?? 0, 'throttled visibility changes').toBeGreaterThan(0);
    } finally {
      await s.stop();
    }
  });
});
