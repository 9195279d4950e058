/**
 * What TypeScript checks in a workflow: `tsc --noEmit` (part of `npm test`) fails when a `@ts-expect-error`
 * line below compiles, so each one is a test that a wrong workflow is refused at compile time.
 */
import { describe, expect, it } from 'vitest';
import { chain, chord, group, signature } from '../../../src/canvas/index.js';
import type { AsyncResult } from '../../../src/result.js';
import { memoryApp } from '../../helpers/memory-app.js';

const fx = memoryApp();
const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
const shout = fx.app.task('tasks.shout', (text: string) => text.toUpperCase());
const tsum = fx.app.task('tasks.tsum', (numbers: number[]) => numbers.reduce((x, y) => x + y, 0));

describe('canvas types', () => {
  it('checks signature arguments against the task', () => {
    add.s(1, 2);
    add.s(2);
    add.s();
    // @ts-expect-error a string where add takes a number
    add.s('x');
    // @ts-expect-error too many arguments
    add.s(1, 2, 3);
    // @ts-expect-error si takes the full argument list
    add.si(1);
    expect(add.s(2).args).toEqual([2]);
  });

  it('checks that each chain step takes the previous result', () => {
    const ok = chain(add.s(1, 2), add.s(3), add.s(4));
    const typed: Promise<AsyncResult<number>> = ok.applyAsync();
    void typed.catch(() => undefined);
    chain(add.s(1, 2), shout.si('fixed'));
    chain(add.s(1, 2), signature('remote.any'));
    // @ts-expect-error shout takes a string, add returns a number
    chain(add.s(1, 2), shout.s());
    // @ts-expect-error add.s(1, 2) lacks nothing, so it cannot take the previous result
    chain(add.s(1, 2), add.s(1, 2));
    expect(ok.steps).toHaveLength(3);
  });

  it('types group results and checks a chord body takes the header results', () => {
    const g = group(add.s(1, 1), add.s(2, 2));
    chord([add.s(1, 1), add.s(2, 2)], tsum.s());
    // @ts-expect-error add's first parameter is a number, not the list of header results
    chord([add.s(1, 1)], add.s(1));
    expect(g.members).toHaveLength(2);
  });
});
