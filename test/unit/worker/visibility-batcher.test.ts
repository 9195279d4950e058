import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { BatchEntryFailure, Broker } from '../../../src/ports/broker.js';
import { runWorker } from '../../../src/worker/run-worker.js';
import { batchVisibilityChanges } from '../../../src/worker/visibility-batcher.js';
import { memoryApp } from '../../helpers/memory-app.js';

type Change = { receiptHandle: string; visibilityTimeoutSeconds: number };

/** A broker whose changeVisibility records each call and answers with `answer`; nothing else is used. */
function recordingBroker(answer: (queueUrl: string, entries: readonly Change[]) => BatchEntryFailure[]) {
  const calls: { queueUrl: string; entries: Change[] }[] = [];
  const unused = () => Promise.reject(new Error('not used by these tests'));
  const broker: Broker = {
    queueUrl: unused,
    send: unused,
    receive: unused,
    delete: unused,
    changeVisibility: async (queueUrl, entries) => {
      calls.push({ queueUrl, entries: [...entries] });
      return answer(queueUrl, entries);
    },
  };
  return { broker, calls };
}

const change = (i: number): Change => ({ receiptHandle: `rh-${i}`, visibilityTimeoutSeconds: 120 });

describe('batchVisibilityChanges', () => {
  it('sends changes asked for together as one batch, and gives each caller its own failure', async () => {
    const { broker, calls } = recordingBroker((_, entries) =>
      entries.flatMap((e, index) =>
        e.receiptHandle === 'rh-3' ? [{ index, code: 'ReceiptHandleIsInvalid', message: 'expired' }] : [],
      ),
    );
    const batched = batchVisibilityChanges(broker);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => batched.changeVisibility('q1', [change(i)])),
    );
    expect(calls).toEqual([{ queueUrl: 'q1', entries: Array.from({ length: 10 }, (_, i) => change(i)) }]);
    expect(answers[3]).toEqual([{ index: 0, code: 'ReceiptHandleIsInvalid', message: 'expired' }]);
    expect(answers.filter((a) => a.length === 0)).toHaveLength(9);
  });

  it('splits more than ten into batches of ten, and keeps queues apart', async () => {
    const { broker, calls } = recordingBroker(() => []);
    const batched = batchVisibilityChanges(broker);
    await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => batched.changeVisibility('q1', [change(i)])),
      batched.changeVisibility('q2', [change(99)]),
    ]);
    expect(calls.map((c) => [c.queueUrl, c.entries.length])).toEqual([
      ['q1', 10],
      ['q1', 2],
      ['q2', 1],
    ]);
  });

  it('keeps the failures of a caller that asks for several changes at its own indexes', async () => {
    const { broker } = recordingBroker((_, entries) =>
      entries.flatMap((e, index) => (e.receiptHandle === 'rh-2' ? [{ index, code: 'X', message: 'm' }] : [])),
    );
    const batched = batchVisibilityChanges(broker);
    const [, mine] = await Promise.all([
      batched.changeVisibility('q1', [change(0)]),
      batched.changeVisibility('q1', [change(1), change(2)]),
    ]);
    expect(mine).toEqual([{ index: 1, code: 'X', message: 'm' }]);
  });

  it('rejects every caller of a batch SQS refused as a whole', async () => {
    const refused = new Error('throttled');
    const { broker } = recordingBroker(() => {
      throw refused;
    });
    const batched = batchVisibilityChanges(broker);
    const results = await Promise.allSettled([
      batched.changeVisibility('q1', [change(0)]),
      batched.changeVisibility('q1', [change(1)]),
    ]);
    expect(results).toEqual([
      { status: 'rejected', reason: refused },
      { status: 'rejected', reason: refused },
    ]);
  });

  it('extends the visibility of ten messages received together with one request per heartbeat', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.long', async () => {
      await sleep(1_400);
    });
    await fx.app.sendTasks(Array.from({ length: 10 }, () => ({ name: 'tasks.long' })));
    const memoryBroker = fx.transport.broker;
    const sizes: number[] = [];
    const changeVisibility = memoryBroker.changeVisibility.bind(memoryBroker);
    memoryBroker.changeVisibility = async (queueUrl, entries) => {
      sizes.push(entries.length);
      return changeVisibility(queueUrl, entries);
    };
    const states: string[] = [];
    const worker = runWorker(fx.app, {
      concurrency: 10,
      prefetch: 0,
      visibilityTimeoutSeconds: 2,
      waitTimeSeconds: 1,
      log: () => undefined,
      onOutcome: (outcome) => void states.push(outcome.state),
    });
    for (let i = 0; i < 100 && states.length < 10; i++) await sleep(50);
    await worker.stop();
    expect(states).toEqual(Array(10).fill('SUCCESS'));
    // The heartbeat came due once, 1 s after the receipt, for all ten: one request of ten entries.
    expect(sizes).toEqual([10]);
  }, 15_000);
});
