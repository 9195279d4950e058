/** The testing kit's worker, on the in-memory app: it runs what a test sends and says when each task finished. */
import { afterEach, describe, expect, it } from 'vitest';
import { ResultTimeoutError } from '../../../src/errors.js';
import {
  createMemoryTransport,
  createTestApp,
  MessageState,
  startTestWorker,
  type TestWorker,
} from '../../../src/testing/index.js';

const running: TestWorker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((worker) => worker.stop()));
});

async function start(...args: Parameters<typeof startTestWorker>): Promise<TestWorker> {
  const worker = await startTestWorker(...args);
  running.push(worker);
  return worker;
}

describe('createTestApp', () => {
  it('creates the default queue and the listed queues on its in-memory transport', async () => {
    const transport = createMemoryTransport();
    const app = createTestApp({ transport, defaultQueue: 'main', queues: ['reports.fifo'] });
    expect(await transport.broker.queueUrl('main')).toBe('memory://main');
    expect(await transport.broker.queueUrl('reports.fifo')).toBe('memory://reports.fifo');
    expect(app.config.defaultQueue).toBe('main');
  });

  it('reads results exactly with exactValues, on the transport it creates', async () => {
    const app = createTestApp({ exactValues: true });
    const big = app.task('tasks.big', () => 2n ** 64n);
    const worker = await start(app);
    const result = await big.delay();
    await worker.waitFor(result.id);
    expect(await result.get()).toBe(2n ** 64n);
  });

  it('reads no CELERIAC_* variable from the environment', () => {
    process.env.CELERIAC_DEFAULT_QUEUE = 'from-the-shell';
    try {
      expect(createTestApp().config.defaultQueue).toBe('celery');
    } finally {
      delete process.env.CELERIAC_DEFAULT_QUEUE;
    }
  });
});

describe('startTestWorker on the in-memory app', () => {
  it('runs a task the test sends, whose result the caller reads with get()', async () => {
    const app = createTestApp();
    const add = app.task('tasks.add', (a: number, b: number) => a + b);
    await start(app);
    const result = await add.delay(2, 3);
    expect(await result.get({ timeoutMs: 5_000, intervalMs: 10 })).toBe(5);
  });

  it('resolves waitFor with the final outcome, FAILURE for a task that throws, and logs one line per task', async () => {
    const app = createTestApp();
    const fail = app.task('tasks.fail', () => {
      throw new TypeError('no way');
    });
    const worker = await start(app);
    const result = await fail.delay();
    const outcome = await worker.waitFor(result.id);
    expect(outcome).toMatchObject({ taskId: result.id, taskName: 'tasks.fail', state: MessageState.FAILURE });
    expect(await result.state()).toBe('FAILURE');
    expect(worker.lines.some((line) => line.includes(`task ${result.id} tasks.fail FAILURE`))).toBe(true);
  });

  it('resolves waitFor at once for a task that finished before the call', async () => {
    const app = createTestApp();
    const add = app.task('tasks.add', (a: number, b: number) => a + b);
    const worker = await start(app);
    const result = await add.delay(1, 1);
    await result.get({ timeoutMs: 5_000, intervalMs: 10 });
    expect(worker.outcomes.map((o) => o.taskId)).toContain(result.id);
    expect((await worker.waitFor(result.id, { timeoutMs: 1 })).state).toBe(MessageState.SUCCESS);
  });

  it('waits through a retry for the run that finishes the task', async () => {
    const app = createTestApp();
    const flaky = app.task('tasks.flaky', function () {
      if (this.retries < 1) throw this.retry({ countdown: 1 });
      return this.retries;
    });
    const worker = await start(app);
    const result = await flaky.delay();
    const outcome = await worker.waitFor(result.id);
    expect(outcome.state).toBe(MessageState.SUCCESS);
    // The re-sent message can arrive while the first run still holds its claim (BUSY): the wait goes on.
    const states = worker.outcomes.filter((o) => o.taskId === result.id).map((o) => o.state);
    expect(states).toContain(MessageState.RETRY);
    expect(states.at(-1)).toBe(MessageState.SUCCESS);
    expect(await result.get({ timeoutMs: 1_000 })).toBe(1);
  });

  it('consumes the queues it is given, creating them on the in-memory transport', async () => {
    const app = createTestApp();
    const report = app.task('reports.build', (month: string) => `report ${month}`, { queue: 'reports' });
    await start(app, { queues: ['reports'] });
    const result = await report.delay('2026-11');
    expect(await result.get({ timeoutMs: 5_000, intervalMs: 10 })).toBe('report 2026-11');
  });

  it('rejects waitFor with ResultTimeoutError, in state PENDING, for a task sent where it does not consume', async () => {
    const app = createTestApp({ queues: ['elsewhere'] });
    const add = app.task('tasks.add', (a: number, b: number) => a + b, { queue: 'elsewhere' });
    const worker = await start(app);
    const result = await add.delay(1, 2);
    const error = await worker.waitFor(result.id, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResultTimeoutError);
    expect(error).toMatchObject({ taskId: result.id, timeoutMs: 300, state: 'PENDING' });
    expect((error as Error).message).toContain('Was it sent to a queue this worker consumes');
  });

  it('stops within about a second, and runs nothing sent after it stopped', async () => {
    const app = createTestApp();
    const add = app.task('tasks.add', (a: number, b: number) => a + b);
    const worker = await startTestWorker(app);
    const startedAt = Date.now();
    await worker.stop();
    expect(Date.now() - startedAt).toBeLessThan(2_500);
    const result = await add.delay(1, 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await result.state()).toBe('PENDING');
    expect(worker.outcomes).toEqual([]);
  });
});
