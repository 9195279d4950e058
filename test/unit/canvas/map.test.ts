import { describe, expect, it } from 'vitest';
import { CanvasError, chunks, registerMapTasks, xmap, xstarmap } from '../../../src/canvas/index.js';
import { memoryApp } from '../../helpers/memory-app.js';
import { drain } from './drain.js';

function fixture() {
  const fx = memoryApp();
  registerMapTasks(fx.app);
  const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
  const tsum = fx.app.task('tasks.tsum', (numbers: number[]) => numbers.reduce((x, y) => x + y, 0));
  return { fx, add, tsum };
}

describe('xmap, xstarmap, chunks', () => {
  it("xmap sends Celery's celery.map message: kwargs {task, it}, no args", async () => {
    const { fx, tsum } = fixture();
    const result = await xmap(tsum.s(), [[1, 2], [3]]).applyAsync([99]);
    const [message] = fx.queued();
    expect(message?.headers.task).toBe('celery.map');
    expect(message?.args).toEqual([]);
    expect(message?.kwargs).toEqual({ task: tsum.s().toDict(), it: [[1, 2], [3]] });
    await drain(fx);
    expect(await result.get()).toEqual([3, 3]);
  });

  it('xstarmap spreads each item as the arguments', async () => {
    const { fx, add } = fixture();
    const result = await xstarmap(add.s(), [
      [1, 2],
      [3, 4],
    ]).applyAsync();
    expect(fx.queued()[0]?.headers.task).toBe('celery.starmap');
    await drain(fx);
    expect(await result.get()).toEqual([3, 7]);
  });

  it('chunks is a group of starmaps over chunks of n', async () => {
    const { fx, add } = fixture();
    const items = [
      [1, 1],
      [2, 2],
      [3, 3],
    ];
    const result = await chunks(add.s(), items, 2).applyAsync();
    expect(fx.queued().map((m) => [m.headers.task, m.headers.group_index])).toEqual([
      ['celery.starmap', 0],
      ['celery.starmap', 1],
    ]);
    await drain(fx);
    expect(await result.get()).toEqual([[2, 4], [6]]);
  });

  it('refuses a chunk size that is not a positive integer', () => {
    const { add } = fixture();
    expect(() => chunks(add.s(), [[1, 1]], 0)).toThrow(CanvasError);
  });

  it('refuses no items, naming chunks rather than the group it would build', () => {
    const { add } = fixture();
    expect(() => chunks(add.s(), [], 2)).toThrow(
      'chunks needs at least one item (an argument list) to split; got none',
    );
  });

  it('a map over a task this worker does not have fails with NotRegistered', async () => {
    const { fx, add } = fixture();
    const sig = add.s();
    sig.task = 'tasks.elsewhere';
    const result = await xstarmap(sig, [[1, 2]]).applyAsync();
    await drain(fx);
    expect(((await result.info()) as { exc_type: string }).exc_type).toBe('NotRegistered');
  });
});
