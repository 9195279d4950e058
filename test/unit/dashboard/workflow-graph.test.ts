/** The workflow graph, built from what a worker really stores for a chain, a group and a chord (memory transport). */
import { describe, expect, it } from 'vitest';
import { chain } from '../../../src/canvas/chain.js';
import { chord } from '../../../src/canvas/chord.js';
import { group } from '../../../src/canvas/group.js';
import { workflowGraph } from '../../../src/dashboard/workflow-graph.js';
import { createTestApp } from '../../../src/testing/create-test-app.js';
import { startTestWorker } from '../../../src/testing/start-test-worker.js';

async function setup() {
  const app = createTestApp({ resultExtended: true });
  const add = app.task('g.add', (a: number, b: number) => a + b);
  const boom = app.task('g.boom', () => {
    throw new TypeError('boom');
  });
  const tsum = app.task('g.tsum', (values: number[]) => values.reduce((a, b) => a + b, 0));
  const worker = await startTestWorker(app);
  return { app, add, boom, tsum, worker };
}

describe('workflowGraph', () => {
  it('walks a chain from any step: the root first, one column per step, each node in its state', async () => {
    const { app, add, worker } = await setup();
    const last = await chain(add.s(1, 1), add.s(10), add.s(100)).applyAsync();
    await last.get({ timeoutMs: 5000 });
    const middle = last.parent?.id ?? '';
    const first = last.parent?.parent?.id ?? '';
    const graph = await workflowGraph(app.runtime.results, middle);
    await worker.stop();
    expect(graph?.rootId).toBe(first);
    expect(graph?.nodes.map((n) => [n.id, n.depth, n.state, n.name])).toEqual([
      [first, 0, 'SUCCESS', 'g.add'],
      [middle, 1, 'SUCCESS', 'g.add'],
      [last.id, 2, 'SUCCESS', 'g.add'],
    ]);
    expect(graph?.edges).toEqual([
      { from: first, to: middle },
      { from: middle, to: last.id },
    ]);
  });

  it("draws a chord's body as the child of the header member that completed the chord", async () => {
    const { app, add, tsum, worker } = await setup();
    const body = await chord([add.s(1, 1), add.s(2, 2)], tsum.s()).applyAsync();
    expect(await body.get({ timeoutMs: 5000 })).toBe(6);
    const parentId = (await app.runtime.results.get(body.id))?.parent_id ?? '';
    const graph = await workflowGraph(app.runtime.results, body.id);
    await worker.stop();
    expect(graph?.rootId).toBe(parentId);
    expect(graph?.nodes.map((n) => [n.id, n.depth, n.state, n.name])).toEqual([
      [parentId, 0, 'SUCCESS', 'g.add'],
      [body.id, 1, 'SUCCESS', 'g.tsum'],
    ]);
    expect(graph?.edges).toEqual([{ from: parentId, to: body.id }]);
  });

  it('a group member shows the group with every member, and a failed member fails the group', async () => {
    const { app, add, boom, worker } = await setup();
    const result = await group(add.s(1, 1), boom.s()).applyAsync();
    await result.save?.();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const memberId = result.results[0]?.id ?? '';
    const graph = await workflowGraph(app.runtime.results, memberId);
    await worker.stop();
    const groupNode = graph?.nodes.find((n) => n.kind === 'group');
    expect(groupNode?.id).toBe(result.id);
    expect(groupNode?.state).toBe('FAILURE');
    expect(graph?.edges.filter((e) => e.from === result.id).map((e) => e.to)).toEqual(
      result.results.map((r) => r.id),
    );
  });

  it('is undefined for an id with nothing stored', async () => {
    const { app, worker } = await setup();
    await worker.stop();
    expect(await workflowGraph(app.runtime.results, 'no-such-id')).toBeUndefined();
  });
});
