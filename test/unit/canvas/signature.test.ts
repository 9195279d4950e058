import { describe, expect, it } from 'vitest';
import { CanvasError, Signature, signature } from '../../../src/canvas/index.js';
import { memoryApp } from '../../helpers/memory-app.js';
import { drain } from './drain.js';

function fixture() {
  const fx = memoryApp();
  const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
  const tsum = fx.app.task('tasks.tsum', (numbers: number[]) => numbers.reduce((x, y) => x + y, 0));
  return { fx, add, tsum };
}

describe('signatures', () => {
  it("serialize to Celery's signature dict, keys in Celery's order", () => {
    const { add } = fixture();
    const sig = add.s(10);
    expect(sig).toBeInstanceOf(Signature);
    expect(JSON.stringify(sig.toDict())).toBe(
      '{"task":"tasks.add","args":[10],"kwargs":{},"options":{},"subtask_type":null,"immutable":false}',
    );
    expect(add.si(1, 2).toDict()).toMatchObject({ args: [1, 2], immutable: true });
    expect(signature('remote.task', [1], { x: 2 }, { queue: 'py', timeLimitSeconds: 5 }).toDict()).toEqual({
      task: 'remote.task',
      args: [1],
      kwargs: { x: 2 },
      options: { queue: 'py', time_limit: 5 },
      subtask_type: null,
      immutable: false,
    });
  });

  it('set() writes options in Celery spelling, clone() merges partial args as Celery does', () => {
    const { add } = fixture();
    const sig = add.s(2).set({ countdown: 5, taskId: 'fixed', linkError: add.si(0, 0) });
    expect(sig.options).toMatchObject({ countdown: 5, task_id: 'fixed' });
    expect((sig.options.link_error as unknown[])[0]).toMatchObject({ task: 'tasks.add', immutable: true });
    const mutable = add.s(2).clone([1], { k: 1 });
    expect(mutable.args).toEqual([1, 2]);
    expect(mutable.kwargs).toEqual({ k: 1 });
    const immutable = add.si(3, 4).clone([1], { k: 1 });
    expect(immutable.args).toEqual([3, 4]);
    expect(immutable.kwargs).toEqual({});
    const original = add.s(1);
    const copy = original.clone();
    copy.link(add.s(9));
    expect(original.options.link).toBeUndefined();
    expect(copy.options.link).toHaveLength(1);
  });

  it('delay() prepends partial args to a mutable signature and not to an immutable one', async () => {
    const { fx, add } = fixture();
    const a = await add.s(2).delay(1);
    const b = await add.si(5, 5).applyAsync([1]);
    await drain(fx);
    expect(await a.get()).toBe(3);
    expect(await b.get()).toBe(10);
  });

  it('link and linkError on a signature become embed.callbacks and embed.errbacks', async () => {
    const { fx, add, tsum } = fixture();
    const sig = add.s(1, 2);
    sig.link(add.s(10));
    sig.linkError(tsum.si([0]));
    const result = await sig.applyAsync();
    const [message] = fx.queued();
    expect(message?.embed.callbacks).toEqual([add.s(10).toDict()]);
    expect(message?.embed.errbacks).toEqual([tsum.si([0]).toDict()]);
    await drain(fx);
    const children = await result.children();
    expect(children).toHaveLength(1);
    expect(await children[0]?.get()).toBe(13);
  });

  it('keeps `link: add.s(10)` working as an apply option', async () => {
    const { fx, add } = fixture();
    const result = await add.applyAsync([1, 2], {}, { link: add.s(10) });
    expect(fx.queued()[0]?.embed.callbacks).toEqual([
      { task: 'tasks.add', args: [10], kwargs: {}, options: {}, subtask_type: null, immutable: false },
    ]);
    await drain(fx);
    const [child] = await result.children();
    expect(await child?.get()).toBe(13);
  });

  it('refuses to send a signature bound to no client, and names the fix', async () => {
    await expect(signature('remote.task').applyAsync()).rejects.toThrow(CanvasError);
    await expect(signature('remote.task').applyAsync()).rejects.toThrow(/app\.signature|client/);
  });

  it('sends a signature by name with an explicit client', async () => {
    const { fx } = fixture();
    const result = await signature<number>('tasks.add', [4, 5]).applyAsync([], {}, { client: fx.app.client });
    await drain(fx);
    expect(await result.get()).toBe(9);
  });
});
