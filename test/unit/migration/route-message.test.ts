/**
 * The migration step of the execution core, on the memory transport: what a celeriac worker does with a message
 * whose task name is routed elsewhere, in shadow mode, or a shadow copy.
 */
import { describe, expect, it } from 'vitest';
import { App } from '../../../src/app.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { createMemoryTransport } from '../../../src/memory/index.js';
import { MemoryRouteStore } from '../../../src/memory/memory-route-store.js';
import type { MigrationConfig } from '../../../src/migration/migration-config.js';
import { SHADOW_ATTRIBUTE } from '../../../src/migration/route-message.js';
import { executeMessage } from '../../../src/worker/execute-message.js';
import type { InboundMessage } from '../../../src/worker/message-outcome.js';
import { workerIdentity } from '../../../src/worker/worker-identity.js';

function fleet(migration: MigrationConfig, record?: object) {
  const routes = new MemoryRouteStore();
  if (record) void routes.writeRoutes(JSON.stringify({ version: 1, tasks: record }));
  const transport = { ...createMemoryTransport(), routes };
  const shared = transport.broker.createQueue('celery');
  const python = transport.broker.createQueue('python');
  const app = new App(resolveConfig({ env: {}, migration }), transport, { origin: 'gen1@test' });
  const runs: number[] = [];
  app.task(
    'tasks.quote',
    (n: number) => {
      runs.push(n);
      return n * 10 + 1;
    },
    { shadow: true },
  );
  app.task('tasks.charge', (n: number) => {
    runs.push(n);
    return n;
  });
  const lines: string[] = [];
  const receive = async (url = shared): Promise<InboundMessage> => {
    const [message] = await transport.broker.receive(url, { maxMessages: 1, waitTimeSeconds: 0 });
    if (!message) throw new Error(`no message on ${url}`);
    return { ...message, queueUrl: url };
  };
  const execute = (message: InboundMessage) =>
    executeMessage(message, {
      registry: app.registry,
      runtime: app.runtime,
      identity: workerIdentity(),
      leaseMs: 60_000,
      queueName: 'celery',
      log: (line) => lines.push(line),
    });
  return { app, transport, routes, shared, python, runs, lines, receive, execute };
}

describe('routing by task name in the celeriac worker', () => {
  it('re-sends a message routed to Python to its queue unchanged, and does not run it', async () => {
    const fx = fleet({}, {});
    await fx.routes.writeRoutes(
      JSON.stringify({ version: 1, tasks: { 'tasks.quote': { side: 'python', pythonQueue: fx.python } } }),
    );
    const sent = await fx.app.sendTask('tasks.quote', [3]);
    const received = await fx.receive();
    const outcome = await fx.execute(received);
    expect(outcome).toMatchObject({ action: 'delete', state: 'HANDED_OVER', taskId: sent.id });
    const [copy] = fx.transport.broker.peek(fx.python);
    expect(copy?.body).toBe(received.body);
    expect(fx.runs).toEqual([]);
    expect(await fx.app.runtime.results.get(sent.id)).toBeUndefined();
  });

  it('leaves a message on a shared queue for Python, then for the dead-letter queue after handoverLimit receives', async () => {
    const fx = fleet({ routes: { 'tasks.quote': 'python' }, handoverLimit: 3 });
    await fx.app.sendTask('tasks.quote', [3]);
    const message = await fx.receive();
    const first = await fx.execute(message);
    expect(first).toMatchObject({ action: 'retry-later', delaySeconds: 1, state: 'HANDED_OVER' });
    expect(first.reason).toContain('left on this queue for a python worker (receive 1 of 3)');
    // Its third delivery (the host makes it visible again; here the same message is handed back in).
    const last = await fx.execute({ ...message, receiveCount: 3 });
    expect(last).toMatchObject({ action: 'reject', state: 'HANDED_OVER' });
    expect(last.reason).toContain('--python-queue <url>); left for the dead-letter queue');
    expect(fx.runs).toEqual([]);
  });

  it('runs a task routed to celeriac, and follows the record over the routes in code', async () => {
    const fx = fleet({ routes: { 'tasks.quote': 'python' } }, { 'tasks.quote': 'celeriac' });
    const sent = await fx.app.sendTask('tasks.quote', [2]);
    expect(await fx.execute(await fx.receive())).toMatchObject({ action: 'delete', state: 'SUCCESS' });
    expect(await sent.get({ timeoutMs: 100 })).toBe(21);
  });

  it('reads the record once for a burst of messages, and routes none before it is read', async () => {
    const fx = fleet({}, { 'tasks.quote': 'python' });
    for (let n = 0; n < 5; n += 1) await fx.app.sendTask('tasks.quote', [n]);
    const received = await Promise.all([0, 1, 2, 3, 4].map(() => fx.receive()));
    const outcomes = await Promise.all(received.map((message) => fx.execute(message)));
    expect(outcomes.map((o) => o.state)).toEqual(Array(5).fill('HANDED_OVER'));
    expect(fx.routes.reads).toBe(1);
    expect(fx.runs).toEqual([]);
  });

  it('does not run a message while the record has never been readable', async () => {
    const fx = fleet({});
    fx.routes.readRoutes = async () => {
      throw new Error('table unreachable');
    };
    await fx.app.sendTask('tasks.quote', [1]);
    const outcome = await fx.execute(await fx.receive());
    expect(outcome.action).toBe('retry-later');
    expect(fx.runs).toEqual([]);
  });

  it('in shadow mode runs a shadow-safe task apart, keeps its result out of the result item, and hands it to Python', async () => {
    const fx = fleet({}, { 'tasks.quote': 'shadow', 'tasks.charge': 'shadow' });
    const quote = await fx.app.sendTask('tasks.quote', [4]);
    const message = await fx.receive();
    expect(await fx.execute(message)).toMatchObject({
      action: 'retry-later',
      state: 'HANDED_OVER',
    });
    expect(fx.runs).toEqual([4]);
    expect(await fx.routes.getShadow(quote.id)).toMatchObject({ state: 'SUCCESS', valueJson: '41' });
    expect(await fx.app.runtime.results.get(quote.id)).toBeUndefined();
    // The next delivery of the same message does not run the shadow again.
    await fx.execute({ ...message, receiveCount: 2 });
    expect(fx.runs).toEqual([4]);

    const charge = await fx.app.sendTask('tasks.charge', [9]);
    await fx.execute(await fx.receive());
    expect(fx.runs).toEqual([4]);
    expect(await fx.routes.getShadow(charge.id)).toBeUndefined();
    expect(fx.lines.join('\n')).toContain(
      `shadow tasks.charge[${charge.id}] not run: tasks.charge is not marked shadow-safe (task option shadow: true)`,
    );
  });

  it('compares a shadow copy with the real result once Python stored it, and logs a difference', async () => {
    const fx = fleet({}, { 'tasks.quote': 'shadow' });
    const sent = await fx.app.sendTask('tasks.quote', [4]);
    const message = await fx.receive();
    const copy = {
      ...message,
      attributes: { [SHADOW_ATTRIBUTE]: { dataType: 'String' as const, stringValue: '1' } },
    };
    expect(await fx.execute(copy)).toMatchObject({ action: 'retry-later', state: 'SHADOW' });
    await fx.app.runtime.results.put(
      sent.id,
      {
        status: 'SUCCESS',
        result: 40,
        traceback: null,
        children: [],
        date_done: '2026-01-01T00:00:00+00:00',
        task_id: sent.id,
      },
      { nowMs: Date.now() },
    );
    const outcome = await fx.execute({ ...copy, receiveCount: 2 });
    expect(outcome).toMatchObject({ action: 'delete', state: 'SHADOW' });
    expect(fx.lines).toContain(
      `shadow tasks.quote[${sent.id}] differs: python returned 40, celeriac returned 41`,
    );
    expect(fx.runs).toEqual([4]);
    expect(await sent.get({ timeoutMs: 100 })).toBe(40);
  });
});
