/** The task events the execution core sends, in Celery's order and with Celery's fields, on the memory transport. */
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../../src/config/resolve-config.js';
import { Reject } from '../../../src/errors.js';
import type { CeleryEvent } from '../../../src/events/celery-event.js';
import { MemorySink } from '../../../src/events/memory-sink.js';
import { executeMessage } from '../../../src/worker/execute-message.js';
import { memoryApp } from '../../helpers/memory-app.js';

function withEvents(config: AppConfig = {}) {
  const sink = new MemorySink();
  const fx = memoryApp({ ...config, events: { sinks: [sink], ...config.events } });
  fx.app.task('tasks.add', (a: number, b: number) => a + b);
  fx.app.task('tasks.boom', () => {
    throw new TypeError('boom');
  });
  fx.app.task('tasks.flaky', function (this) {
    if (this.retries === 0) throw this.retry({ countdown: 0, exc: new RangeError('not yet') });
    return 'done';
  });
  fx.app.task('tasks.refuse', () => {
    throw new Reject('bad input', { requeue: false });
  });
  /** Runs every visible message once. */
  const drain = async () => {
    for (const message of await fx.receiveAll()) await executeMessage(message, fx.context());
  };
  return { fx, sink, drain };
}

const types = (events: readonly CeleryEvent[]) => events.map((event) => event.type);

describe('task events from the execution core', () => {
  it('sends received, started, succeeded with the envelope and the fields Celery sends', async () => {
    const { fx, sink, drain } = withEvents();
    const result = await fx.app.sendTask('tasks.add', [2, 3], { extra: 'x' });
    await drain();
    const events = sink.forTask(result.id);
    expect(types(events)).toEqual(['task-received', 'task-started', 'task-succeeded']);
    const [received, , succeeded] = events;
    expect(received).toEqual({
      type: 'task-received',
      uuid: result.id,
      name: 'tasks.add',
      args: '(2, 3)',
      kwargs: "{'extra': 'x'}",
      root_id: result.id,
      parent_id: null,
      retries: 0,
      eta: null,
      expires: null,
      hostname: fx.identity.hostname,
      pid: process.pid,
      utcoffset: expect.any(Number),
      clock: expect.any(Number),
      timestamp: expect.any(Number),
    });
    expect(succeeded).toMatchObject({ result: '5', runtime: expect.any(Number) });
    const clocks = events.map((event) => event.clock);
    expect(clocks).toEqual([...clocks].sort((a, b) => a - b));
  });

  it("sends task-failed with the exception's Python repr and its traceback", async () => {
    const { fx, sink, drain } = withEvents();
    const result = await fx.app.sendTask('tasks.boom', []);
    await drain();
    const events = sink.forTask(result.id);
    expect(types(events)).toEqual(['task-received', 'task-started', 'task-failed']);
    expect(events[2]).toMatchObject({
      exception: "TypeError('boom')",
      traceback: expect.stringContaining('boom'),
    });
  });

  it('sends task-retried for the first attempt, then the retry runs as a new attempt', async () => {
    const { fx, sink, drain } = withEvents();
    const result = await fx.app.sendTask('tasks.flaky', []);
    await drain();
    await drain();
    const events = sink.forTask(result.id);
    expect(types(events)).toEqual([
      'task-received',
      'task-started',
      'task-retried',
      'task-received',
      'task-started',
      'task-succeeded',
    ]);
    expect(events[2]).toMatchObject({ exception: "RangeError('not yet')" });
    expect(
      events.map((event) => (event as { retries?: number }).retries).filter((n) => n !== undefined),
    ).toEqual([0, 1]);
  });

  it('sends only task-revoked for a task revoked before it ran, and one with expired for an expired task', async () => {
    const { fx, sink, drain } = withEvents();
    const revoked = await fx.app.sendTask('tasks.add', [1, 1]);
    await fx.app.revoke(revoked.id);
    const expired = await fx.app.sendTask('tasks.add', [1, 1], {}, { expires: new Date(Date.now() - 1000) });
    await drain();
    expect(sink.forTask(revoked.id)).toEqual([
      expect.objectContaining({ type: 'task-revoked', terminated: false, signum: null, expired: false }),
    ]);
    expect(sink.forTask(expired.id)).toEqual([
      expect.objectContaining({ type: 'task-revoked', terminated: false, signum: null, expired: true }),
    ]);
  });

  it("sends task-failed NotRegistered('name') for an unknown task, as Celery's consumer does", async () => {
    const { fx, sink, drain } = withEvents();
    const result = await fx.app.sendTask('tasks.nobody', []);
    await drain();
    expect(sink.forTask(result.id)).toEqual([
      expect.objectContaining({ type: 'task-failed', exception: "NotRegistered('tasks.nobody')" }),
    ]);
  });

  it('sends task-rejected with requeue false for Reject(requeue=False)', async () => {
    const { fx, sink, drain } = withEvents();
    const result = await fx.app.sendTask('tasks.refuse', []);
    await drain();
    expect(types(sink.forTask(result.id))).toEqual(['task-received', 'task-started', 'task-rejected']);
    expect(sink.forTask(result.id)[2]).toMatchObject({ requeue: false });
  });

  it('sends nothing for a duplicate delivery of a finished task', async () => {
    const { fx, sink } = withEvents();
    const result = await fx.app.sendTask('tasks.add', [1, 2]);
    const [message] = await fx.receiveAll();
    if (!message) throw new Error('no message');
    await executeMessage(message, fx.context());
    const before = sink.events.length;
    await executeMessage(message, fx.context());
    expect(sink.events.length).toBe(before);
    expect(types(sink.forTask(result.id))).toHaveLength(3);
  });

  it('sends task-sent from the producer only with taskSentEvent, with the routing fields', async () => {
    const off = withEvents();
    const quiet = await off.fx.app.sendTask('tasks.add', [1, 2]);
    expect(off.sink.forTask(quiet.id)).toEqual([]);

    const on = withEvents({ events: { taskSentEvent: true } });
    const sent = await on.fx.app.sendTask('tasks.add', [1, 2], {}, { countdown: 5 });
    expect(on.sink.forTask(sent.id)).toEqual([
      expect.objectContaining({
        type: 'task-sent',
        uuid: sent.id,
        name: 'tasks.add',
        args: '(1, 2)',
        kwargs: '{}',
        retries: 0,
        eta: expect.stringMatching(/^\d{4}-/),
        expires: null,
        queue: 'celery',
        exchange: '',
        routing_key: 'celery',
        hostname: 'gen1@test',
      }),
    ]);
  });

  it('cuts a huge exception and traceback in task-failed, so the event fits in one EventBridge event', async () => {
    const { fx, sink, drain } = withEvents();
    fx.app.task('tasks.verbose', () => {
      throw new TypeError(`${'y'.repeat(300_000)}\u{1F600}`);
    });
    const result = await fx.app.sendTask('tasks.verbose');
    await drain();
    const failed = sink.forTask(result.id).find((event) => event.type === 'task-failed') as
      | (CeleryEvent & { exception: string; traceback: string })
      | undefined;
    expect(failed?.exception).toMatch(/^TypeError\('y{4085}\.\.\. \(\d+ more characters\)$/);
    expect(failed?.traceback.length).toBeLessThan(16_384 + 40);
    expect(failed?.traceback).toMatch(/\.\.\. \(\d+ more characters\)$/);
    expect(Buffer.byteLength(JSON.stringify(failed))).toBeLessThan(256 * 1024);
    // The stored FAILURE keeps the whole message.
    await expect(result.get({ timeoutMs: 1000 })).rejects.toThrow('y'.repeat(300_000));
  });

  it('builds no dispatcher when no sink is configured', () => {
    const fx = memoryApp();
    expect(fx.app.runtime.events).toBeUndefined();
  });
});
