/**
 * Scenario 3: duplicate and early redelivery. While tasks run, the test makes their own SQS messages visible
 * again (ChangeMessageVisibility to 0, as a lapsed heartbeat or SQS's own duplicate delivery would), and sends
 * copies of other running tasks' bodies as new messages. Every second delivery must be refused (BUSY) while the
 * first runs, and a delivery after the end must find the task finished: each body runs to its end once.
 */
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { calls, createScenario, pause, taskIdOf, until } from './helpers/fault-scenario.js';
import { readSideLog } from './helpers/side-log.js';

describe('fault scenario: duplicate and early redelivery', () => {
  it('runs each body once per attempt when the same message comes back early and copies arrive as new messages', async () => {
    const s = await createScenario('redelivery', { visibilityTimeoutSeconds: 10 });
    try {
      const slowIds = await s.send(calls(30, 'faults.slow', (i) => [i, 4000]));
      const quickIds = await s.send(calls(60, 'faults.quick', (i) => [i]));
      // Far more slots than tasks, so a message that comes back is received again at once, while its first run runs.
      await Promise.all([s.startWorker({ concurrency: 50 }), s.startWorker({ concurrency: 50 })]);
      const slow = new Set(slowIds);
      const running = () =>
        new Set(
          readSideLog(s.sideLogPath)
            .filter((r) => r.ev === 'start' && slow.has(r.id))
            .map((r) => r.id),
        );
      await until(() => running().size >= 20, 60_000, '20 slow tasks running');
      await pause(300);
      const deliveries = s.proxy.received().filter((m) => {
        const id = taskIdOf(m.body);
        return id !== undefined && running().has(id);
      });
      const early = deliveries.filter((_, i) => i % 2 === 0).slice(0, 10);
      const copied = deliveries.filter((_, i) => i % 2 === 1).slice(0, 10);
      // The same messages again while they run: visible at once.
      await Promise.all(
        early.map((m) =>
          s.sqs.send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: s.queueUrl,
              ReceiptHandle: m.receiptHandle,
              VisibilityTimeout: 0,
            }),
          ),
        ),
      );
      // And copies of others as new messages (a producer that retried a send it thought had failed).
      await s.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: s.queueUrl,
          Entries: copied.map((m, i) => ({ Id: String(i), MessageBody: m.body })),
        }),
      );
      const ids = [...slowIds, ...quickIds];
      const states = await s.waitForFinal(ids, 60_000);
      // Copies delivered after the original finished are deleted as duplicates; wait for the queue to drain.
      await until(
        async () => {
          const d = await s.depth();
          return d.visible + d.inFlight + d.delayed === 0;
        },
        40_000,
        'the queue to drain',
      ).catch((error: unknown) => console.log(String(error)));
      console.log(
        `[faults] ${s.name} made visible early: ${early.length}, copies sent: ${copied.length}; ` +
          `BUSY lines: ${s.lines(/ BUSY/, 1000).length}, DUPLICATE lines: ${s.lines(/ DUPLICATE/, 1000).length}`,
      );
      expect(early.length + copied.length).toBe(20);
      s.check(ids, states);
    } finally {
      await s.stop();
    }
  });
});
