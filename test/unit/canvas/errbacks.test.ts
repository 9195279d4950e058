/**
 * Errbacks as Celery 5.6 sends them (`celery/backends/base.py` `_call_task_errbacks`): all of a failed task's
 * errbacks go out as one group, `group(errbacks).apply_async((task_id,), parent_id=task_id, root_id=root_id)`,
 * for a failing task and for a chord whose body fails.
 */
import { describe, expect, it } from 'vitest';
import { chord } from '../../../src/canvas/index.js';
import { executeMessage } from '../../../src/worker/execute-message.js';
import { memoryApp } from '../../helpers/memory-app.js';

function fixture() {
  const fx = memoryApp();
  const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
  const boom = fx.app.task('tasks.boom', (_x?: unknown) => {
    throw new Error('boom');
  });
  const tsum = fx.app.task('tasks.tsum', (numbers: number[]) => numbers.length);
  const onError = fx.app.task('tasks.on_error', (taskId: string) => taskId);
  const alsoOnError = fx.app.task('tasks.also_on_error', (taskId: string) => taskId);
  return { fx, add, boom, tsum, onError, alsoOnError };
}

/** Runs every queued message once and returns those sent meanwhile. */
async function runQueued(fx: ReturnType<typeof fixture>['fx']) {
  const before = fx.queued().length;
  for (const inbound of await fx.receiveAll()) await executeMessage(inbound, fx.context());
  return fx.queued().slice(before);
}

function expectOneGroup(
  sent: ReturnType<ReturnType<typeof fixture>['fx']['queued']>,
  failedId: string,
  rootId: string,
) {
  expect(sent.map((m) => m.headers.task)).toEqual(['tasks.on_error', 'tasks.also_on_error']);
  const groupId = sent[0]?.headers.group;
  expect(groupId).toEqual(expect.any(String));
  expect(groupId).not.toBe(failedId);
  sent.forEach((m, i) => {
    expect(m.args).toEqual([failedId]);
    expect(m.headers).toMatchObject({ group: groupId, group_index: i, parent_id: failedId, root_id: rootId });
  });
}

describe('errbacks', () => {
  it("sends a failed task's errbacks as one group, each called with the task's id", async () => {
    const { fx, boom, onError, alsoOnError } = fixture();
    const failing = boom.s();
    failing.linkError(onError.s());
    failing.linkError(alsoOnError.s());
    const failed = await failing.applyAsync();
    const sent = await runQueued(fx);
    expectOneGroup(sent, failed.id, failed.id);
  });

  it("sends a failed chord's errbacks as one group, called with the body's id", async () => {
    const { fx, add, boom, tsum, onError, alsoOnError } = fixture();
    const body = tsum.s();
    body.linkError(onError.s());
    body.linkError(alsoOnError.s());
    const result = await chord([add.s(1, 1), boom.s()], body).applyAsync();
    const sent = await runQueued(fx);
    expect(await result.state()).toBe('FAILURE');
    expectOneGroup(sent, result.id, result.id);
  });
});
