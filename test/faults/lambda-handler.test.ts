/**
 * Scenario 8: the Lambda handler under the same faults. The handler runs in-process with its AWS calls going
 * through the fault proxy (throttling, 5xx, resets, KMS throttling on sends), fed by a driver that does what
 * the SQS event source mapping does (receive a batch straight from the emulator, invoke, delete what is not in
 * `batchItemFailures`), two batches at a time. The same invariants hold.
 */
import { describe, expect, it } from 'vitest';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { pollOnce } from '../helpers/event-source-mapping.js';
import { createFaultApp } from './fixtures/fault-app.js';
import { FaultKind } from './helpers/fault-proxy.js';
import { calls, createScenario } from './helpers/fault-scenario.js';

const ANY_JSON = /^(AmazonSQS|DynamoDB_20120810)\./;

describe('fault scenario: the Lambda handler under proxy faults', () => {
  it('finishes all 150 tasks once per attempt with 2-4% throttling, 5xx and resets, and 20% KMS throttling on sends', async () => {
    const s = await createScenario('lambda', {
      visibilityTimeoutSeconds: 5,
      seed: 88,
      rules: [
        { match: /^AmazonSQS\.SendMessage/, fault: FaultKind.KmsThrottled, probability: 0.2 },
        { match: ANY_JSON, fault: FaultKind.Throttle, probability: 0.04 },
        { match: ANY_JSON, fault: FaultKind.Unavailable503, probability: 0.03 },
        { match: ANY_JSON, fault: FaultKind.ResetBefore, probability: 0.02 },
        { match: ANY_JSON, fault: FaultKind.ResetAfter, probability: 0.02 },
      ],
    });
    const lines: string[] = [];
    try {
      const app = createFaultApp({
        sideLog: s.sideLogPath,
        failFraction: 0.3,
        config: {
          queueUrls: { celery: s.queueUrl },
          resultTable: s.table,
          env: { AWS_ENDPOINT_URL: s.proxy.endpoint },
        },
      });
      const handler = createSqsHandler(app, { log: (line) => lines.push(line) });
      const ids = await s.send([
        ...calls(90, 'faults.quick', (i) => [i]),
        ...calls(40, 'faults.flaky', (i) => [90 + i]),
        ...calls(20, 'faults.slow', (i) => [130 + i, 300]),
      ]);
      const deadline = Date.now() + 90_000;
      let finalStates = await s.results();
      let invocations = 0;
      let reported = 0;
      const done = () =>
        ids.every((id) => ['SUCCESS', 'FAILURE'].includes(finalStates.get(id)?.status ?? ''));
      const mapping = async (): Promise<void> => {
        while (!done() && Date.now() < deadline) {
          const poll = await pollOnce(s.sqs, s.queueUrl, handler, {
            batchSize: 10,
            waitTimeSeconds: 1,
            visibilityTimeoutSeconds: 5,
            remainingMs: 30_000,
          });
          if (poll.records.length > 0) invocations++;
          reported += poll.response?.batchItemFailures.length ?? 0;
        }
      };
      const watcher = (async () => {
        while (!done() && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          finalStates = await s.results();
        }
      })();
      await Promise.all([mapping(), mapping(), watcher]);
      const states = await s.waitForFinal(ids, 1000);
      console.log(`[faults] ${s.name} invocations ${invocations}, batch item failures reported ${reported}`);
      const sample = lines.filter((l) => !/ SUCCESS \d+ms$/.test(l)).slice(0, 8);
      if (sample.length > 0) console.log(`[faults] ${s.name} handler lines (sample)\n${sample.join('\n')}`);
      s.check(ids, states);
      expect(s.proxy.stats().totalFaults, 'faults injected').toBeGreaterThan(0);
    } finally {
      await s.stop();
    }
  });
});
