/** The worker registry and remote control on the memory transport: records, liveness, commands, bad records. */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { App } from '../../../src/app.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { CELERIAC_VERSION } from '../../../src/events/software-info.js';
import { createSqsHandler } from '../../../src/lambda/create-sqs-handler.js';
import { createMemoryTransport, MemoryMonitoringStore } from '../../../src/memory/index.js';
import { ControlClient } from '../../../src/monitoring/control-client.js';
import { systemClock } from '../../../src/ports/clock.js';
import type { MonitoringStore } from '../../../src/ports/monitoring-store.js';
import { REGISTRY_WAIT_MS } from '../../../src/worker/registry-agent.js';
import { type RunningWorker, runWorker } from '../../../src/worker/run-worker.js';

const HEARTBEAT_SECONDS = 0.05;

function registryApp(store: MonitoringStore = new MemoryMonitoringStore()) {
  const transport = { ...createMemoryTransport(), monitoring: store };
  transport.broker.createQueue('celery');
  transport.broker.createQueue('extra');
  const settings = resolveConfig({
    env: {},
    events: { workerRegistry: true, heartbeatSeconds: HEARTBEAT_SECONDS },
  });
  const app = new App(settings, transport);
  app.task('tasks.add', (a: number, b: number) => a + b);
  app.task('tasks.wait', async (ms: number) => {
    await sleep(ms);
    return ms;
  });
  app.task('tasks.where', function (this) {
    return this.queue;
  });
  return { app, store, control: new ControlClient(store, systemClock, { pollMs: 10 }) };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(10);
  }
}

const started: RunningWorker[] = [];
function start(app: App, lines: string[] = []): RunningWorker {
  const worker = runWorker(app, { waitTimeSeconds: 0, log: (line) => lines.push(line) });
  started.push(worker);
  return worker;
}

describe('the worker registry', () => {
  it('records each worker with its pool, queues, active tasks, counts, tasks and version, then offline on stop', async () => {
    const { app, control } = registryApp();
    const worker = start(app);
    const running = await app.sendTask('tasks.wait', [300]);
    const busy = await until(
      () => control.workers(),
      (workers) => (workers[0]?.active.length ?? 0) > 0,
    );
    expect(busy).toHaveLength(1);
    expect(busy[0]).toMatchObject({
      workerId: worker.identity.workerId,
      hostname: worker.identity.hostname,
      pid: process.pid,
      kind: 'worker',
      pool: 'inline',
      concurrency: 8,
      queues: ['celery'],
      registered: ['tasks.add', 'tasks.wait', 'tasks.where'],
      version: CELERIAC_VERSION,
      freqSeconds: HEARTBEAT_SECONDS,
      status: 'online',
      online: true,
    });
    expect(busy[0]?.active).toEqual([
      {
        id: running.id,
        name: 'tasks.wait',
        startedAtMs: expect.any(Number),
        args: '(300,)',
        kwargs: '{}',
        queue: 'celery',
        redelivered: false,
      },
    ]);
    await running.get({ timeoutMs: 2000 });
    const idle = await until(
      () => control.workers(),
      (workers) => workers[0]?.processed.SUCCESS === 1,
    );
    expect(idle[0]).toMatchObject({ active: [], processed: { SUCCESS: 1 }, totals: { 'tasks.wait': 1 } });
    await worker.stop();
    expect((await control.workers())[0]).toMatchObject({ status: 'offline', online: false });
  });

  it('shows a worker that stopped beating as offline after two missed heartbeats and a grace period', async () => {
    const { store, control } = registryApp();
    const now = Date.now();
    const record = {
      workerId: 'w1',
      hostname: 'celeriac@gone',
      pid: 1,
      kind: 'worker' as const,
      pool: 'inline',
      concurrency: 1,
      queues: [],
      active: [],
      processed: {},
      registered: [],
      version: CELERIAC_VERSION,
      startedAtMs: now - 60_000,
      freqSeconds: 1,
      status: 'online' as const,
    };
    await store.putWorker({ ...record, heartbeatAtMs: now - 1_000 }, 300);
    expect((await control.workers())[0]?.online).toBe(true);
    await store.putWorker({ ...record, heartbeatAtMs: now - 8_000 }, 300);
    expect((await control.workers())[0]?.online).toBe(false);
    expect(await control.onlineWorkers()).toEqual([]);
  });
});

describe('remote control through records', () => {
  it('gathers a pong from every live worker, or only from the named ones', async () => {
    const { app, control } = registryApp();
    const [a, b] = [start(app), start(app)];
    await until(
      () => control.onlineWorkers(),
      (workers) => workers.length === 2,
    );
    const replies = await control.broadcast('ping', {}, { timeoutMs: 3000 });
    expect(replies.map((reply) => [reply.workerId, reply.ok]).sort()).toEqual(
      [
        [a.identity.workerId, 'pong'],
        [b.identity.workerId, 'pong'],
      ].sort(),
    );
    const one = await control.broadcast('ping', {}, { timeoutMs: 3000, destination: [a.identity.hostname] });
    // Both test workers share the machine's hostname: a destination names hosts, as Celery's does.
    expect(one.every((reply) => reply.hostname === a.identity.hostname)).toBe(true);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('shuts a worker down', async () => {
    const { app, control } = registryApp();
    const worker = start(app);
    await until(
      () => control.onlineWorkers(),
      (workers) => workers.length === 1,
    );
    const [reply] = await control.broadcast('shutdown', {}, { timeoutMs: 3000 });
    expect(reply).toMatchObject({ ok: 'shutting down', workerId: worker.identity.workerId });
    await expect(worker.stopped).resolves.toBeUndefined();
  });

  it('starts and stops consuming a queue with add_consumer and cancel_consumer', async () => {
    const { app, control } = registryApp();
    const worker = start(app);
    await until(
      () => control.onlineWorkers(),
      (workers) => workers.length === 1,
    );
    const [added] = await control.broadcast('add_consumer', { queue: 'extra' }, { timeoutMs: 3000 });
    expect(added).toMatchObject({ ok: 'add consumer extra' });
    const there = await app.sendTask('tasks.where', [], {}, { queue: 'extra' });
    expect(await there.get({ timeoutMs: 3000 })).toBe('extra');
    const withExtra = await until(
      () => control.workers(),
      (workers) => workers[0]?.queues.includes('extra') === true,
    );
    expect(withExtra[0]?.queues).toEqual(['celery', 'extra']);

    const [cancelled] = await control.broadcast('cancel_consumer', { queue: 'extra' }, { timeoutMs: 3000 });
    expect(cancelled).toMatchObject({ ok: 'no longer consuming from extra' });
    const without = await until(
      () => control.workers(),
      (workers) => workers[0]?.queues.includes('extra') === false,
    );
    expect(without[0]?.queues).toEqual(['celery']);
    const [missing] = await control.broadcast('cancel_consumer', { queue: 'extra' }, { timeoutMs: 3000 });
    expect(missing?.error).toMatch(/not consuming "extra"/);
    await worker.stop();
  });

  it('answers an unknown command, a rate limit and a bad argument with an error reply', async () => {
    const { app, control } = registryApp();
    const worker = start(app);
    await until(
      () => control.onlineWorkers(),
      (workers) => workers.length === 1,
    );
    const [unknown] = await control.broadcast('reboot', {}, { timeoutMs: 3000 });
    expect(unknown?.error).toMatch(/^No such command "reboot"; workers answer ping, shutdown/);
    const [rate] = await control.broadcast(
      'rate_limit',
      { task_name: 'tasks.add', rate_limit: '10/m' },
      { timeoutMs: 3000 },
    );
    expect(rate?.error).toMatch(
      /read rate limits from the limits record, which `celeriac control rate-limit` writes/,
    );
    const [bad] = await control.broadcast('add_consumer', {}, { timeoutMs: 3000 });
    expect(bad?.error).toMatch(/needs a `queue` argument/);
    await worker.stop();
  });

  it('logs a malformed control record once, skips it, and keeps working', async () => {
    const { app, store, control } = registryApp();
    const lines: string[] = [];
    const worker = start(app, lines);
    await until(
      () => control.onlineWorkers(),
      (workers) => workers.length === 1,
    );
    const memory = store as MemoryMonitoringStore;
    memory.putRawControl('junk', '{"id": "junk", "command": ');
    memory.putRawControl(
      'wrong',
      JSON.stringify({ id: 'wrong', command: 'ping', arguments: [], createdAtMs: Date.now() }),
    );
    await sleep(HEARTBEAT_SECONDS * 1000 * 6);
    const [pong] = await control.broadcast('ping', {}, { timeoutMs: 3000 });
    expect(pong?.ok).toBe('pong');
    const skipped = lines.filter((line) => line.startsWith('worker registry: skipping control record'));
    expect(skipped).toEqual([
      'worker registry: skipping control record junk: it is not JSON',
      'worker registry: skipping control record wrong: `arguments` is not an object',
    ]);
    const result = await app.sendTask('tasks.add', [1, 2]);
    expect(await result.get({ timeoutMs: 2000 })).toBe(3);
    await worker.stop();
  });

  it('keeps running tasks when the registry store fails, saying so once', async () => {
    const failing: MonitoringStore = {
      putWorker: async () => Promise.reject(new Error('ThrottlingException')),
      listWorkers: async () => [],
      putControl: async () => undefined,
      listControls: async () => [],
      putReply: async () => undefined,
      listReplies: async () => [],
    };
    const { app } = registryApp(failing);
    const lines: string[] = [];
    const worker = start(app, lines);
    const result = await app.sendTask('tasks.add', [2, 2]);
    expect(await result.get({ timeoutMs: 2000 })).toBe(4);
    await sleep(HEARTBEAT_SECONDS * 1000 * 4);
    await worker.stop();
    expect(lines.filter((line) => line.includes('worker registry: a heartbeat failed'))).toHaveLength(1);
  });

  it('holds neither a Lambda batch nor a stopping worker for longer than REGISTRY_WAIT_MS when the store hangs', async () => {
    const hung: MonitoringStore = {
      putWorker: () => new Promise(() => undefined),
      listWorkers: async () => [],
      putControl: async () => undefined,
      listControls: () => new Promise(() => undefined),
      putReply: async () => undefined,
      listReplies: async () => [],
    };
    const { app } = registryApp(hung);
    const result = await app.sendTask('tasks.add', [5, 5]);
    const [message] = await app.runtime.broker.receive(await app.runtime.queues.urlFor('celery'), {
      maxMessages: 1,
      waitTimeSeconds: 0,
      visibilityTimeoutSeconds: 30,
    });
    if (!message) throw new Error('no message');
    const handler = createSqsHandler(app, { log: () => undefined });
    const startedAt = Date.now();
    const response = await handler(
      {
        Records: [
          {
            messageId: message.messageId,
            receiptHandle: message.receiptHandle,
            body: message.body,
            attributes: {},
            messageAttributes: {},
            eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:celery',
          },
        ],
      },
      { getRemainingTimeInMillis: () => 60_000 },
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(Date.now() - startedAt).toBeLessThan(REGISTRY_WAIT_MS + 1000);
    expect(await result.get({ timeoutMs: 100 })).toBe(10);

    const worker = start(app);
    await sleep(50);
    const stoppingAt = Date.now();
    await worker.stop();
    expect(Date.now() - stoppingAt).toBeLessThan(2 * REGISTRY_WAIT_MS + 1000);
  });
});
