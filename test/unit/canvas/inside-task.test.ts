/**
 * Workflows sent from inside a running task, by Celery's rule (`app.send_task` with `current_worker_task`): every
 * message the task sends names the task as `parent_id` and inherits its `root_id` (the task's own id when it is
 * the root), whatever the workflow's form.
 */
import { describe, expect, it } from 'vitest';
import { chain, chord, group } from '../../../src/canvas/index.js';
import { executeMessage } from '../../../src/worker/execute-message.js';
import { memoryApp } from '../../helpers/memory-app.js';

function fixture() {
  const fx = memoryApp();
  const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
  const tsum = fx.app.task('tasks.tsum', (numbers: number[]) => numbers.reduce((x, y) => x + y, 0));
  const spawn = fx.app.task('tasks.spawn', async (form: string) => {
    if (form === 'delay') await add.delay(1, 2);
    if (form === 'chain') await chain(add.s(1, 2), add.s(3)).applyAsync();
    if (form === 'group') await group(add.s(1, 2), add.s(3, 4)).applyAsync();
    if (form === 'chord') await chord([add.s(1, 2), add.s(3, 4)], tsum.s()).applyAsync();
    return form;
  });
  return { fx, spawn };
}

/** Runs the one queued message (the spawning task) and returns it with the messages it sent. */
async function runSpawner(fx: ReturnType<typeof fixture>['fx']) {
  const [spawner] = fx.queued();
  const [inbound] = await fx.receiveAll();
  if (!spawner || !inbound) throw new Error('expected the spawning task queued');
  const outcome = await executeMessage(inbound, fx.context());
  expect(outcome.state).toBe('SUCCESS');
  return { spawner, sent: fx.queued().slice(1) };
}

describe('a workflow sent from inside a running task', () => {
  for (const form of ['delay', 'chain', 'group', 'chord']) {
    it(`names the task as every message's parent and passes its root on (${form})`, async () => {
      const { fx } = fixture();
      const rootId = globalThis.crypto.randomUUID();
      await fx.app.client.send([fx.request('tasks.spawn', [form], {}, { rootId, parentId: rootId })]);
      const { spawner, sent } = await runSpawner(fx);
      expect(sent.length).toBe(form === 'delay' || form === 'chain' ? 1 : 2);
      for (const message of sent) {
        expect(message.headers).toMatchObject({ root_id: rootId, parent_id: spawner.headers.id });
      }
    });
  }

  it('makes the task the root of what it sends when the task itself is a root', async () => {
    const { fx, spawn } = fixture();
    await spawn.delay('group');
    const { spawner, sent } = await runSpawner(fx);
    expect(spawner.headers.parent_id).toBeNull();
    expect(sent.map((m) => [m.headers.root_id, m.headers.parent_id])).toEqual([
      [spawner.headers.id, spawner.headers.id],
      [spawner.headers.id, spawner.headers.id],
    ]);
  });

  it('gives a message sent outside any task no parent, even while a task runs elsewhere', async () => {
    const { fx, spawn } = fixture();
    await spawn.delay('delay');
    const [inbound] = await fx.receiveAll();
    if (!inbound) throw new Error('expected the spawning task queued');
    const running = executeMessage(inbound, fx.context());
    const outside = await fx.app.client.send([fx.request('tasks.add', [5, 5], {})]);
    await running;
    void outside;
    const message = fx.queued().find((m) => m.args[0] === 5);
    expect(message?.headers.parent_id).toBeNull();
    expect(message?.headers.root_id).toBe(message?.headers.id);
  });
});
