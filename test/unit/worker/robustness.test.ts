/**
 * What the worker does when things go wrong around a task: a shutdown mid-run, a follow-up that cannot be sent,
 * a store that fails for a moment, a task that outlives its time limit, a retry that races its own attempt, more
 * queues than slots, FIFO groups, and callbacks that throw.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { every } from '../../../src/beat/every.js';
import { BackendError } from '../../../src/errors.js';
import { createApp } from '../../../src/index.js';
import { createMemoryTransport } from '../../../src/memory/index.js';
import { executeMessage } from '../../../src/worker/execute-message.js';
import type { InboundMessage } from '../../../src/worker/message-outcome.js';
import { runBeat } from '../../../src/worker/run-beat.js';
import { runWorker } from '../../../src/worker/run-worker.js';
import { type MemoryAppFixture, memoryApp, sendUnchecked } from '../../helpers/memory-app.js';

const quiet = () => undefined;

async function receiveOne(fx: MemoryAppFixture): Promise<InboundMessage> {
  const [message] = await fx.receiveAll();
  if (!message) throw new Error('no message on the queue');
  return message;
}

function execute(fx: MemoryAppFixture, message: InboundMessage, leaseMs = 60_000) {
  return executeMessage(message, fx.context({ leaseMs, log: quiet }));
}

describe('a worker shutting down', () => {
  it('hands a task that stops on its signal back to the queue instead of storing a failure', async () => {
    const fx = memoryApp();
    let runs = 0;
    fx.app.task('tasks.patient', async function (this) {
      runs++;
      await sleep(runs === 1 ? 10_000 : 10, undefined, { signal: this.signal });
      return 'done';
    });
    const result = await fx.app.sendTask('tasks.patient');
    const first = runWorker(fx.app, { waitTimeSeconds: 0, shutdownTimeoutMs: 50, log: quiet });
    for (let i = 0; i < 50 && runs === 0; i++) await sleep(20);
    await first.stop();
    expect(await result.state()).toBe('PENDING');
    const second = runWorker(fx.app, { waitTimeSeconds: 0, log: quiet });
    expect(await result.get({ timeoutMs: 5000 })).toBe('done');
    await second.stop();
    expect(runs).toBe(2);
  });
});

describe('outcomes that cannot be recorded as they are', () => {
  it('fails the task, once, when a follow-up cannot be sent for good', async () => {
    const fx = memoryApp();
    let runs = 0;
    const add = fx.app.task('tasks.add', (a: number, b: number) => {
      runs++;
      return a + b;
    });
    const taskId = await sendUnchecked(fx, {
      name: 'tasks.add',
      args: [1, 2],
      options: { link: { ...add.s(10).toDict(), options: { queue: 'nowhere' } } },
    });
    const result = fx.app.asyncResult(taskId);
    const outcome = await execute(fx, await receiveOne(fx));
    expect(outcome).toMatchObject({ action: 'delete', state: 'FAILURE' });
    expect(await result.info()).toMatchObject({ exc_message: [expect.stringMatching(/nowhere/)] });
    expect(runs).toBe(1);
  });

  it.each([
    ['countdown', 'a callback'],
    ['expires', 'a chain step'],
  ] as const)(
    'fails the task, sending nothing, when %s in %s gives a time past the year 9999',
    async (option, where) => {
      const fx = memoryApp();
      const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
      const next = add.s(10).set({ [option]: 1e308, taskId: 'next-1' });
      await sendUnchecked(fx, {
        name: 'tasks.add',
        args: [1, 2],
        options: { taskId: 'parent-1', ...(where === 'a callback' ? { link: next.toDict() } : {}) },
        ...(where === 'a chain step' ? { workflow: { chain: [next.toDict()] } } : {}),
      });
      const result = fx.app.asyncResult('parent-1');
      const outcome = await execute(fx, await receiveOne(fx));
      const message = `Expected \`${option}\` to be a number of seconds >= 0 that gives a time in the years 0001 to 9999 UTC, got 1e+308`;
      expect(outcome).toMatchObject({
        action: 'delete',
        state: 'FAILURE',
        reason: `recording the outcome failed: ${message}`,
      });
      expect(await result.info()).toEqual({
        exc_type: 'InvalidOptionError',
        exc_message: [message],
        exc_module: 'celeriac',
      });
      expect(fx.queued().map((m) => m.headers.id)).not.toContain('next-1');
    },
  );

  it('leaves the message for redelivery when a store fails for a moment, and deletes it only once stored', async () => {
    const fx = memoryApp();
    const put = fx.transport.results.put.bind(fx.transport.results);
    let failures = 1;
    fx.transport.results.put = async (...args) => {
      if (failures-- > 0) throw BackendError.failed('DynamoDB UpdateItem', 'throttled', true);
      return put(...args);
    };
    const result = await fx.app.sendTask('tasks.nobody');
    const message = await receiveOne(fx);
    expect(await execute(fx, message)).toMatchObject({ action: 'retry-later', state: 'UNRECORDED' });
    expect(await execute(fx, message)).toMatchObject({ action: 'delete', state: 'FAILURE' });
    expect(await result.info()).toMatchObject({ exc_type: 'NotRegistered' });
  });

  it('fails a task whose result is too large before sending its callbacks, and sends its errbacks', async () => {
    const fx = memoryApp({ resultThresholdBytes: 1000, maxPayloadBytes: 5000 });
    const big = fx.app.task('tasks.big', () => 'x'.repeat(10_000));
    fx.app.task('tasks.notify', () => 'ok');
    await big.applyAsync(
      [],
      {},
      { link: { ...big.s(), task: 'tasks.notify' }, linkError: { ...big.s(), task: 'tasks.on_error' } },
    );
    await execute(fx, await receiveOne(fx));
    const sent = fx
      .queued()
      .map((m) => m.headers.task)
      .filter((task) => task !== 'tasks.big');
    expect(sent).toEqual(['tasks.on_error']);
  });
});

describe('a task that outlives its hard time limit', () => {
  it('cannot replace its FAILURE with later progress, and a duplicate delivery does not run it again', async () => {
    const fx = memoryApp();
    let runs = 0;
    fx.app.task(
      'tasks.slow',
      async function (this) {
        runs++;
        await sleep(120);
        await this.updateState('PROGRESS', { step: 2 });
      },
      { timeLimitSeconds: 0.05 },
    );
    const result = await fx.app.sendTask('tasks.slow');
    const message = await receiveOne(fx);
    expect((await execute(fx, message)).state).toBe('FAILURE');
    await sleep(150);
    expect(await result.state()).toBe('FAILURE');
    expect(await execute(fx, { ...message, messageId: 'again', receiptHandle: 'again#1' })).toMatchObject({
      state: 'DUPLICATE',
    });
    expect(runs).toBe(1);
  });
});

describe('chords under failure', () => {
  async function chordOf(fx: MemoryAppFixture, groupId: string, members: number, expires?: Date) {
    const body = {
      task: 'tasks.count',
      args: [],
      kwargs: {},
      options: { task_id: `${groupId}-body` },
      subtask_type: null,
      immutable: false,
    };
    const ids = Array.from({ length: members }, (_, i) => `${groupId}-${i}`);
    await fx.app.runtime.results.saveGroup(groupId, ids, Date.now());
    await fx.app.client.send(
      ids.map((taskId, i) =>
        fx.request(
          'tasks.one',
          [],
          {},
          {
            taskId,
            groupId,
            groupIndex: i,
            chord: body,
            ...(i === 0 && expires ? { expiresAt: expires } : {}),
          },
        ),
      ),
    );
    return `${groupId}-body`;
  }

  it('finishes the chord in place when its step fails for a moment after the result was stored', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.one', () => 1);
    fx.app.task('tasks.count', (values: number[]) => values.length);
    const bodyId = await chordOf(fx, 'g-blip', 1);
    const increment = fx.transport.results.incrementChordCounter.bind(fx.transport.results);
    let failures = 1;
    fx.transport.results.incrementChordCounter = async (...args) => {
      if (failures-- > 0) throw BackendError.failed('DynamoDB UpdateItem', 'throttled', true);
      return increment(...args);
    };
    expect(await execute(fx, await receiveOne(fx))).toMatchObject({ action: 'delete', state: 'SUCCESS' });
    expect(failures).toBe(-1);
    const body = fx.queued().find((m) => m.headers.id === bodyId);
    expect(body?.args).toEqual([[1]]);
  });

  it('finishes the chord on redelivery when its step failed for longer than the lease allows', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.one', () => 1);
    fx.app.task('tasks.count', (values: number[]) => values.length);
    const bodyId = await chordOf(fx, 'g-transient', 1);
    const increment = fx.transport.results.incrementChordCounter.bind(fx.transport.results);
    let down = true;
    fx.transport.results.incrementChordCounter = async (...args) => {
      if (down) throw BackendError.failed('DynamoDB UpdateItem', 'throttled', true);
      return increment(...args);
    };
    const message = await receiveOne(fx);
    expect(await execute(fx, message, 400)).toMatchObject({ action: 'retry-later', state: 'UNRECORDED' });
    down = false;
    expect(await execute(fx, message)).toMatchObject({ action: 'delete', state: 'DUPLICATE' });
    const body = fx.queued().find((m) => m.headers.id === bodyId);
    expect(body?.args).toEqual([[1]]);
  });

  it('counts an expired member, so the body fails with ChordError instead of waiting forever', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.one', () => 1);
    const bodyId = await chordOf(fx, 'g-expired', 2, new Date(Date.now() - 1000));
    for (const message of await fx.receiveAll()) await execute(fx, message);
    expect(await fx.app.asyncResult(bodyId).info()).toMatchObject({
      exc_type: 'ChordError',
      exc_message: [expect.stringMatching(/raised TaskRevokedError/)],
    });
  });
});

describe('retries racing the attempt that sent them', () => {
  it("looks again within seconds, not at the end of the older attempt's lease", async () => {
    const fx = memoryApp();
    fx.app.task('tasks.flaky', () => 'ok');
    const message = fx.message('tasks.flaky', [], {}, { taskId: 'race-1', retries: 1 });
    await fx.transport.results.claim({
      taskId: 'race-1',
      owner: 'attempt-0',
      attempt: 0,
      leaseMs: 900_000,
      nowMs: Date.now(),
    });
    const { encodeTaskMessage } = await import('../../../src/protocol/task-message.js');
    await fx.transport.broker.send(fx.queueUrl, [{ body: encodeTaskMessage(message) }]);
    const outcome = await execute(fx, await receiveOne(fx));
    expect(outcome).toMatchObject({ action: 'retry-later', state: 'BUSY' });
    expect(outcome.delaySeconds).toBeLessThanOrEqual(5);
  });
});

describe('runWorker', () => {
  it('never runs more tasks at once than its concurrency, however many queues it consumes', async () => {
    const transport = createMemoryTransport();
    for (const q of ['a', 'b', 'c']) transport.broker.createQueue(q);
    const app = createApp({ transport, env: {} });
    let running = 0;
    let most = 0;
    app.task('tasks.hold', async () => {
      running++;
      most = Math.max(most, running);
      await sleep(30);
      running--;
    });
    await app.sendTasks(
      ['a', 'b', 'c'].flatMap((queue) =>
        Array.from({ length: 4 }, () => ({ name: 'tasks.hold', options: { queue } })),
      ),
    );
    let done = 0;
    const worker = runWorker(app, {
      queues: ['a', 'b', 'c'],
      concurrency: 2,
      waitTimeSeconds: 0,
      log: quiet,
      onOutcome: () => void done++,
    });
    for (let i = 0; i < 100 && done < 12; i++) await sleep(30);
    await worker.stop();
    expect(done).toBe(12);
    expect(most).toBe(2);
  });

  it('runs a FIFO group in order: a message waiting for its ETA holds back the next one of its group', async () => {
    const transport = createMemoryTransport();
    const url = transport.broker.createQueue('jobs.fifo');
    const app = createApp({ transport, env: {}, defaultQueue: 'jobs.fifo' });
    const ran: string[] = [];
    app.task('tasks.step', (name: string) => void ran.push(name));
    await app.sendTask('tasks.step', ['first'], {}, { countdown: 60, messageGroupId: 'g' });
    await app.sendTask('tasks.step', ['second'], {}, { messageGroupId: 'g' });
    await app.sendTask('tasks.step', ['other'], {}, { messageGroupId: 'h' });
    const worker = runWorker(app, { concurrency: 4, waitTimeSeconds: 0, log: quiet });
    await sleep(300);
    await worker.stop();
    expect(ran).toEqual(['other']);
    expect(transport.broker.peek(url)).toHaveLength(2);
  });

  it('stops at once, naming the queue, when a queue it should consume does not exist', async () => {
    const fx = memoryApp();
    const worker = runWorker(fx.app, { queues: ['celery', 'missing'], waitTimeSeconds: 0, log: quiet });
    await expect(worker.stopped).rejects.toThrow(/missing/);
  });

  it('keeps working when its outcome callback or log sink throws', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const results = await fx.app.sendTasks([
      { name: 'tasks.add', args: [1, 1] },
      { name: 'tasks.add', args: [2, 2] },
    ]);
    const worker = runWorker(fx.app, {
      waitTimeSeconds: 0,
      log: () => {
        throw new Error('log sink down');
      },
      onOutcome: () => {
        throw new Error('metrics down');
      },
    });
    expect(await Promise.all(results.map((r) => r.get({ timeoutMs: 3000 })))).toEqual([2, 4]);
    await worker.stop();
  });
});

describe('long-running loops', () => {
  it('add no listener per wake-up (no MaxListenersExceededWarning over many beats)', async () => {
    const fx = memoryApp();
    fx.app.periodic('fast', { task: 'tasks.tick', schedule: every(0.01) });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const stateFile = path.join(tmpdir(), `celeriac-beat-${process.pid}-${Date.now()}.json`);
    const beat = runBeat(fx.app, { stateFile, log: quiet });
    await sleep(600);
    await beat.stop();
    rmSync(stateFile, { force: true });
    process.off('warning', onWarning);
    expect(beat.fired).toBeGreaterThan(15);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});

describe('beat with no catch-up window', () => {
  it('fires every slot that comes due while it runs, though its timer wakes after the slot', async () => {
    const fx = memoryApp();
    fx.app.periodic('fast', { task: 'tasks.tick', schedule: every(0.05) });
    const stateFile = path.join(tmpdir(), `celeriac-beat-${process.pid}-${Date.now()}-0.json`);
    const beat = runBeat(fx.app, { stateFile, catchUpWindowMs: 0, log: quiet });
    await sleep(600);
    await beat.stop();
    rmSync(stateFile, { force: true });
    // About 12 slots in 600 ms; a timer a few milliseconds late skipped every one of them.
    expect(beat.fired).toBeGreaterThanOrEqual(8);
    expect(fx.queued().length).toBe(beat.fired);
  });

  it.each([Number.NaN, -1, Number.POSITIVE_INFINITY, 8 * 86_400_000])(
    'refuses a catch-up window of %s, naming the range',
    (catchUpWindowMs) => {
      const fx = memoryApp();
      fx.app.periodic('fast', { task: 'tasks.tick', schedule: every(1) });
      expect(() => runBeat(fx.app, { catchUpWindowMs, log: quiet })).toThrow(
        'Expected `catchUpWindowMs` to be a number of milliseconds from 0 to 604800000 (7 days)',
      );
    },
  );
});

describe('delays on FIFO queues', () => {
  it("keeps a message invisible at most just under SQS's 12-hour limit per hop", async () => {
    const fx = memoryApp({ queueUrls: {} });
    const url = fx.transport.broker.createQueue('later.fifo');
    fx.app.task('tasks.later', () => undefined);
    await fx.app.sendTask(
      'tasks.later',
      [],
      {},
      { queue: 'later.fifo', eta: new Date(Date.now() + 2 * 86_400_000) },
    );
    const [message] = await fx.transport.broker.receive(url, { maxMessages: 1, waitTimeSeconds: 0 });
    const outcome = await executeMessage(
      { ...(message as NonNullable<typeof message>), queueUrl: url },
      {
        registry: fx.app.registry,
        runtime: fx.app.runtime,
        identity: fx.identity,
        leaseMs: 60_000,
        queueName: 'later.fifo',
      },
    );
    expect(outcome.state).toBe('DELAYED');
    expect(outcome.delaySeconds).toBeLessThan(43_200);
    expect(outcome.delaySeconds).toBeGreaterThan(42_000);
  });
});
