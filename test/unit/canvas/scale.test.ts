/**
 * Workflows at scale on the memory transport: a group of 1,000, a chord of 1,000 whose members are all delivered
 * twice (the chord counter counts each once and the body runs once), and a chain of 100.
 */
import { describe, expect, it } from 'vitest';
import { chain, chord, group } from '../../../src/canvas/index.js';
import { memoryApp } from '../../helpers/memory-app.js';
import { drain } from './drain.js';

describe('workflows at scale', () => {
  it('a group of 1,000', async () => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const members = Array.from({ length: 1000 }, (_, i) => add.s(i, i));
    const result = await group(...members).applyAsync();
    await drain(fx, 500);
    const values = await result.get();
    expect(values).toEqual(Array.from({ length: 1000 }, (_, i) => 2 * i));
  });

  it('a chord of 1,000 with every member delivered twice: each counted once, the body run once', async () => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    let bodyRuns = 0;
    const tsum = fx.app.task('tasks.tsum', (numbers: number[]) => {
      bodyRuns += 1;
      return numbers.reduce((x, y) => x + y, 0);
    });
    const result = await chord(
      Array.from({ length: 1000 }, (_, i) => add.s(i, 1)),
      tsum.s(),
    ).applyAsync();
    // Deliver every header message a second time, as SQS may.
    const header = fx.transport.broker.peek(fx.queueUrl);
    expect(header).toHaveLength(1000);
    await fx.transport.broker.send(
      fx.queueUrl,
      header.map((m) => ({ body: m.body })),
    );
    await drain(fx, 500);
    expect(await result.get()).toBe((999 * 1000) / 2 + 1000);
    expect(bodyRuns).toBe(1);
  });

  it('a chain of 100', async () => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const steps = [add.s(0, 1), ...Array.from({ length: 99 }, () => add.s(1))] as const;
    const result = await chain(...(steps as unknown as [(typeof steps)[0]])).applyAsync();
    await drain(fx, 500);
    expect(await result.get()).toBe(100);
  });
});
