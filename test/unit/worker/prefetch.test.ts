import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runWorker } from '../../../src/worker/run-worker.js';
import { type MemoryAppFixture, memoryApp } from '../../helpers/memory-app.js';

const quiet = () => undefined;

/** Runs a worker on `fx` that counts its outcomes, and records the batch size each of its receives asks for. */
function countingWorker(fx: MemoryAppFixture, options: { concurrency: number; prefetch?: number }) {
  const broker = fx.transport.broker;
  const asked: number[] = [];
  const receive = broker.receive.bind(broker);
  broker.receive = async (url, receiveOptions) => {
    asked.push(receiveOptions.maxMessages);
    return receive(url, receiveOptions);
  };
  let done = 0;
  const worker = runWorker(fx.app, {
    ...options,
    waitTimeSeconds: 1,
    log: quiet,
    onOutcome: () => void done++,
  });
  return { worker, asked, done: () => done };
}

describe('the worker’s prefetch', () => {
  it('receives full batches ahead of free slots, and starts them in the order received', async () => {
    const fx = memoryApp();
    const ran: number[] = [];
    fx.app.task('tasks.step', async (n: number) => {
      ran.push(n);
      await sleep(5);
    });
    await fx.app.sendTasks(Array.from({ length: 30 }, (_, n) => ({ name: 'tasks.step', args: [n] })));
    const { worker, asked, done } = countingWorker(fx, { concurrency: 1 });
    for (let i = 0; i < 300 && done() < 30; i++) await sleep(10);
    await worker.stop();
    expect(done()).toBe(30);
    expect(ran).toEqual(Array.from({ length: 30 }, (_, n) => n));
    // Every receive asked for a full batch: three of them drained the queue, and one found it empty.
    expect(asked.every((n) => n === 10)).toBe(true);
    expect(asked.length).toBeLessThanOrEqual(4);
  });

  it('keeps a prefetched message invisible while it waits longer than the visibility timeout', async () => {
    const fx = memoryApp();
    const ran: string[] = [];
    fx.app.task('tasks.slow', async function () {
      ran.push(this.taskId);
      await sleep(1200);
    });
    await fx.app.sendTasks(Array.from({ length: 3 }, () => ({ name: 'tasks.slow' })));
    const states: string[] = [];
    const worker = runWorker(fx.app, {
      concurrency: 1,
      prefetch: 2,
      visibilityTimeoutSeconds: 2,
      waitTimeSeconds: 1,
      log: quiet,
      onOutcome: (outcome) => void states.push(outcome.state),
    });
    // The third waits about 2.4 s, past its 2 s visibility timeout, before it starts.
    for (let i = 0; i < 100 && states.length < 3; i++) await sleep(50);
    await worker.stop();
    // Not received again while it waited: no BUSY or DUPLICATE outcome of a second delivery.
    expect(states).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    expect(new Set(ran).size).toBe(3);
    expect(ran).toHaveLength(3); // none delivered again meanwhile
    expect(fx.transport.broker.peek(fx.queueUrl)).toHaveLength(0);
  }, 15_000);

  it('hands the prefetched messages back at once on stop, in one batch, visible again', async () => {
    const fx = memoryApp();
    let started = 0;
    fx.app.task('tasks.hold', async () => {
      started++;
      await sleep(300);
    });
    await fx.app.sendTasks(Array.from({ length: 6 }, () => ({ name: 'tasks.hold' })));
    const broker = fx.transport.broker;
    const handedBack: number[] = [];
    const changeVisibility = broker.changeVisibility.bind(broker);
    broker.changeVisibility = async (url, entries) => {
      if (entries.every((e) => e.visibilityTimeoutSeconds === 0)) handedBack.push(entries.length);
      return changeVisibility(url, entries);
    };
    const worker = runWorker(fx.app, {
      concurrency: 1,
      prefetch: 10,
      waitTimeSeconds: 1,
      log: quiet,
    });
    for (let i = 0; i < 100 && started === 0; i++) await sleep(5);
    const stoppedAt = Date.now();
    const stopping = worker.stop();
    await sleep(20);
    // Handed back before the running task ended.
    expect(handedBack).toEqual([5]);
    expect(Date.now() - stoppedAt).toBeLessThan(300);
    const visible = broker.peek(fx.queueUrl).filter((m) => m.visibleAtMs <= Date.now());
    expect(visible).toHaveLength(5);
    await stopping;
    expect(started).toBe(1);
    expect(broker.peek(fx.queueUrl)).toHaveLength(5);
  });

  it('with prefetch 0, receives only into free slots', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.step', () => sleep(5));
    await fx.app.sendTasks(Array.from({ length: 6 }, () => ({ name: 'tasks.step' })));
    const { worker, asked, done } = countingWorker(fx, { concurrency: 2, prefetch: 0 });
    for (let i = 0; i < 200 && done() < 6; i++) await sleep(10);
    await worker.stop();
    expect(done()).toBe(6);
    expect(asked.every((n) => n <= 2)).toBe(true);
  });
});
