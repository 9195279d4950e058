import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../src/index.js';
import { createMemoryTransport } from '../../../src/memory/index.js';
import { type RunningWorker, runWorker } from '../../../src/worker/run-worker.js';
import { memoryApp } from '../../helpers/memory-app.js';

/** An app on two in-memory queues whose task takes a few milliseconds. */
function twoQueueApp() {
  const transport = createMemoryTransport();
  transport.broker.createQueue('a');
  transport.broker.createQueue('b');
  const app = createApp({ transport, env: {}, defaultQueue: 'a' });
  app.task('tasks.tick', async function () {
    await sleep(2);
    return this.queue;
  });
  return app;
}

/** Resolves with the queues of the first `count` tasks the worker ran, or what it had run by `timeoutMs`. */
function collect(
  start: (onQueue: (queue: string) => void) => RunningWorker,
  count: number,
  timeoutMs: number,
) {
  const queues: string[] = [];
  return new Promise<string[]>((resolve) => {
    let worker: RunningWorker | undefined;
    const finish = () => {
      clearTimeout(timer);
      void worker?.stop().then(() => resolve(queues));
    };
    const timer = setTimeout(finish, timeoutMs);
    worker = start((queue) => {
      queues.push(queue);
      if (queues.length === count) finish();
    });
  });
}

describe('runWorker', () => {
  it('keeps consuming every queue when all slots are busy and the queues share them', async () => {
    const app = twoQueueApp();
    await app.sendTasks([
      ...Array.from({ length: 5 }, () => ({ name: 'tasks.tick', options: { queue: 'a' } })),
      ...Array.from({ length: 5 }, () => ({ name: 'tasks.tick', options: { queue: 'b' } })),
    ]);
    const ran = await collect(
      (onQueue) =>
        runWorker(app, {
          queues: ['a', 'b'],
          concurrency: 1,
          waitTimeSeconds: 1,
          log: () => undefined,
          onOutcome: (outcome) => {
            if (outcome.state === 'SUCCESS' && outcome.taskId) onQueue(outcome.taskName ?? '');
          },
        }),
      10,
      3000,
    );
    expect(ran).toHaveLength(10);
  });

  it('adds no listener per wait for a free slot (no MaxListenersExceededWarning over many tasks)', async () => {
    const app = twoQueueApp();
    await app.sendTasks(Array.from({ length: 40 }, () => ({ name: 'tasks.tick' })));
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      const ran = await collect(
        (onQueue) =>
          runWorker(app, {
            concurrency: 1,
            waitTimeSeconds: 1,
            log: () => undefined,
            onOutcome: (outcome) => onQueue(outcome.state),
          }),
        40,
        5000,
      );
      expect(ran).toEqual(Array(40).fill('SUCCESS'));
      await sleep(10); // warnings are emitted on a later tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });
});

describe('runWorker without long polling', () => {
  it('waits between empty receives instead of spinning', async () => {
    const fx = memoryApp();
    let receives = 0;
    const receive = fx.transport.broker.receive.bind(fx.transport.broker);
    fx.transport.broker.receive = async (...args) => {
      receives++;
      return receive(...args);
    };
    const worker = runWorker(fx.app, { waitTimeSeconds: 0, log: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await worker.stop();
    expect(receives).toBeLessThanOrEqual(3);
  });
});
