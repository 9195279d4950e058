import { describe, expect, it, vi } from 'vitest';
import { resultHandle } from '../../../src/canvas/apply-workflow.js';
import { CanvasError, chain, chord, group, signature } from '../../../src/canvas/index.js';
import { planWorkflow } from '../../../src/canvas/plan-workflow.js';
import { GroupResult } from '../../../src/group-result.js';
import { AsyncResult } from '../../../src/result.js';
import { memoryApp } from '../../helpers/memory-app.js';
import { drain } from './drain.js';

function fixture() {
  const fx = memoryApp();
  const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
  const mul = fx.app.task('tasks.mul', (a: number, b: number) => a * b);
  const tsum = fx.app.task('tasks.tsum', (numbers: number[]) => numbers.reduce((x, y) => x + y, 0));
  const boom = fx.app.task('tasks.boom', (_x?: unknown) => {
    throw new Error('boom');
  });
  const seen: unknown[] = [];
  const onError = fx.app.task('tasks.on_error', (taskId: string) => {
    seen.push(taskId);
    return taskId;
  });
  return { fx, add, mul, tsum, boom, onError, seen };
}

describe('chain', () => {
  it('sends one message, the rest in embed.chain last-first, each with a task id', async () => {
    const { fx, add, mul } = fixture();
    const result = await chain(add.s(1, 2), add.s(3), mul.s(10)).applyAsync();
    const queued = fx.queued();
    expect(queued).toHaveLength(1);
    const first = queued[0];
    expect(first?.args).toEqual([1, 2]);
    expect(first?.headers).toMatchObject({ task: 'tasks.add', parent_id: null, group: null });
    expect(first?.headers.root_id).toBe(first?.headers.id);
    expect(first?.embed.chain?.map((step) => [step.task, step.args])).toEqual([
      ['tasks.mul', [10]],
      ['tasks.add', [3]],
    ]);
    expect(Object.keys(first?.embed.chain?.[0]?.options ?? {})).toEqual(['task_id', 'reply_to']);
    expect(result.id).toBe(first?.embed.chain?.[0]?.options.task_id);
    await drain(fx);
    expect(await result.get()).toBe(60);
    expect(result.parent?.id).toBe(first?.embed.chain?.[1]?.options.task_id);
    expect(result.parent?.parent?.id).toBe(first?.headers.id);
    expect(await result.parent?.get()).toBe(6);
  });

  it('splices nested chains and passes partial args to the first step', async () => {
    const { fx, add } = fixture();
    const result = await chain(add.s(1), chain(add.s(2), add.s(3))).applyAsync([10]);
    expect(fx.queued()[0]?.args).toEqual([10, 1]);
    expect(fx.queued()[0]?.embed.chain).toHaveLength(2);
    await drain(fx);
    expect(await result.get()).toBe(16);
  });

  it('stops at a failing step: later steps are marked FAILURE and the linkError errback runs', async () => {
    const { fx, add, boom, onError, seen } = fixture();
    const flow = chain(add.s(1, 2), boom.s(), add.s(3));
    flow.set({ linkError: onError.s() });
    const result = await flow.applyAsync();
    await drain(fx);
    expect(await result.state()).toBe('FAILURE');
    const failedId = result.parent?.id;
    expect(seen).toEqual([failedId]);
    await expect(result.get()).rejects.toThrow(/boom/);
  });

  it("a chain's taskId and link go to its last step, as Celery's", async () => {
    const { fx, add, mul } = fixture();
    const result = await chain(add.s(1, 2), add.s(3)).applyAsync(
      [],
      {},
      { taskId: 'last-step', link: mul.s(10) },
    );
    expect(result.id).toBe('last-step');
    await drain(fx);
    expect(await result.get()).toBe(6);
    const [callback] = await result.children();
    expect(await callback?.get()).toBe(60);
  });

  it('an immutable step ignores the previous result', async () => {
    const { fx, add } = fixture();
    const result = await chain(add.s(1, 2), add.si(5, 5)).applyAsync();
    await drain(fx);
    expect(await result.get()).toBe(10);
  });
});

describe('group', () => {
  it('sends one message per member with the group id and group_index, root_id its own id', async () => {
    const { fx, add } = fixture();
    const result = await group(add.s(1, 1), add.s(2, 2), add.s(3, 3)).applyAsync();
    expect(result).toBeInstanceOf(GroupResult);
    const queued = fx.queued();
    expect(queued.map((m) => m.headers.group)).toEqual([result.id, result.id, result.id]);
    expect(queued.map((m) => m.headers.group_index)).toEqual([0, 1, 2]);
    for (const m of queued) expect(m.headers.root_id).toBe(m.headers.id);
    expect(queued.map((m) => m.headers.id)).toEqual(result.results.map((r) => r.id));
    expect(await result.ready()).toBe(false);
    await drain(fx);
    expect(await result.get()).toEqual([2, 4, 6]);
    expect(await result.ready()).toBe(true);
    expect(await result.successful()).toBe(true);
    expect(await result.completedCount()).toBe(3);
  });

  it("reads a group's states in one batch read, not one read per member", async () => {
    const { fx, add } = fixture();
    const result = await group(...Array.from({ length: 250 }, (_, i) => add.s(i, i))).applyAsync();
    await drain(fx);
    const store = fx.app.runtime.results;
    const getMany = vi.spyOn(store, 'getMany');
    expect(await result.completedCount()).toBe(250);
    expect(await result.successful()).toBe(true);
    // One batch read per question asked of the group (on DynamoDB, BatchGetItems of 100 keys).
    expect(getMany).toHaveBeenCalledTimes(2);
    expect(getMany.mock.calls[0]?.[0]).toEqual(result.results.map((r) => r.id));
  });

  it('prepends partial args to each mutable member and flattens nested groups', async () => {
    const { fx, add } = fixture();
    const result = await group(add.s(1), group(add.s(2), add.si(0, 0))).applyAsync([10]);
    expect(fx.queued().map((m) => m.args)).toEqual([
      [10, 1],
      [10, 2],
      [0, 0],
    ]);
    await drain(fx);
    expect(await result.get()).toEqual([11, 12, 0]);
  });

  it('reports a failed member', async () => {
    const { fx, add, boom } = fixture();
    const result = await group(add.s(1, 1), boom.s()).applyAsync();
    await drain(fx);
    expect(await result.failed()).toBe(true);
    expect(await result.successful()).toBe(false);
    expect(await result.completedCount()).toBe(1);
    await expect(result.join()).rejects.toThrow(/boom/);
    const values = await result.join({ propagate: false });
    expect(values[0]).toBe(2);
    expect(values[1]).toBeInstanceOf(Error);
  });

  it("saves and restores in Celery's format, and revokes every member", async () => {
    const { fx, add } = fixture();
    const result = await group(add.s(1, 1), add.s(2, 2)).applyAsync();
    await result.save();
    const restored = await fx.app.client.restoreGroup<number>(result.id);
    expect(restored?.results.map((r) => r.id)).toEqual(result.results.map((r) => r.id));
    expect(await fx.app.client.restoreGroup('no-such-group')).toBeUndefined();
    await result.revoke();
    await drain(fx);
    expect(await Promise.all(result.results.map((r) => r.state()))).toEqual(['REVOKED', 'REVOKED']);
    // Ready, and its state says how it ended, as a member's would.
    expect(await result.ready()).toBe(true);
    expect(await result.state()).toBe('REVOKED');
  });

  it('runs chains inside a group; the group waits on each chain end', async () => {
    const { fx, add, mul } = fixture();
    const result = await group(chain(add.s(1, 1), mul.s(10)), chain(add.s(2, 2), mul.s(100))).applyAsync();
    const first = fx.queued();
    expect(first.map((m) => m.headers.group)).toEqual([null, null]);
    const lastSteps = first.map((m) => m.embed.chain?.[0]?.options);
    expect(lastSteps.map((o) => o?.group_id)).toEqual([result.id, result.id]);
    expect(lastSteps.map((o) => o?.group_index)).toEqual([0, 1]);
    await drain(fx);
    expect(await result.get()).toEqual([20, 400]);
  });

  it('refuses an empty group at build time', () => {
    expect(() => group()).toThrow(CanvasError);
    expect(() => group()).toThrow(/at least one/);
  });
});

describe('chord', () => {
  it('saves the group, sends the header with the body in embed.chord, and the body gets the results', async () => {
    const { fx, add, tsum } = fixture();
    const result = await chord([add.s(1, 1), add.s(2, 2)], tsum.s()).applyAsync();
    expect(result).toBeInstanceOf(AsyncResult);
    const header = fx.queued();
    const groupId = header[0]?.headers.group as string;
    expect(await fx.app.runtime.results.getGroupMembers(groupId)).toEqual(header.map((m) => m.headers.id));
    expect(header.map((m) => m.headers.group_index)).toEqual([0, 1]);
    expect(header[0]?.embed.chord).toEqual({
      task: 'tasks.tsum',
      args: [],
      kwargs: {},
      options: { task_id: result.id, reply_to: header[0]?.embed.chord?.options.reply_to, group_id: groupId },
      subtask_type: null,
      immutable: false,
    });
    expect(result.parent).toBeInstanceOf(GroupResult);
    expect(result.parent?.id).toBe(groupId);
    await drain(fx);
    expect(await result.get()).toBe(6);
  });

  it('fails the body with ChordError naming the failed member, and runs the body errbacks', async () => {
    const { fx, add, boom, tsum, onError, seen } = fixture();
    const flow = chord([add.s(1, 1), boom.s()], tsum.s());
    flow.linkError(onError.s());
    const result = await flow.applyAsync();
    const failedMember = (result.parent as GroupResult).results[1]?.id;
    await drain(fx);
    expect(await result.state()).toBe('FAILURE');
    const info = (await result.info()) as { exc_type: string; exc_message: string[] };
    expect(info.exc_type).toBe('ChordError');
    expect(info.exc_message[0]).toContain(`Dependency ${failedMember} raised`);
    expect(seen).toEqual([result.id]);
  });

  it('a chord whose body is a chain', async () => {
    const { fx, add, mul, tsum } = fixture();
    const result = await chord([add.s(1, 1), add.s(2, 2)], chain(tsum.s(), mul.s(10))).applyAsync();
    const header = fx.queued();
    expect(header[0]?.embed.chord?.subtask_type).toBe('chain');
    await drain(fx);
    expect(await result.get()).toBe(60);
    expect(await result.parent?.get()).toBe(6);
  });

  it('refuses an empty header at build time', () => {
    const { tsum } = fixture();
    expect(() => chord([], tsum.s())).toThrow(CanvasError);
  });
});

describe('nestings', () => {
  it('a group followed by a step inside a chain becomes a chord, and the chain goes on after it', async () => {
    const { fx, add, mul, tsum } = fixture();
    const result = await chain(add.s(1, 2), group(add.s(1), add.s(2)), tsum.s(), mul.s(10)).applyAsync();
    const first = fx.queued()[0];
    const chordStep = first?.embed.chain?.[first.embed.chain.length - 1];
    expect(chordStep?.subtask_type).toBe('chord');
    expect(chordStep?.task).toBe('celery.chord');
    expect((chordStep?.kwargs.body as { task?: string } | undefined)?.task).toBe('tasks.tsum');
    await drain(fx);
    // (1+2) -> [3+1, 3+2] -> 9 -> 90
    expect(await result.get()).toBe(90);
    expect(await result.parent?.get()).toBe(9);
  });

  it('a chord inside a chain', async () => {
    const { fx, add, tsum } = fixture();
    const result = await chain(add.s(1, 1), chord([add.s(10), add.s(20)], tsum.s())).applyAsync();
    await drain(fx);
    expect(await result.get()).toBe(34);
  });

  it('a chain ending in a group', async () => {
    const { fx, add } = fixture();
    const result = await chain(add.s(1, 1), group(add.s(10), add.s(20))).applyAsync();
    await drain(fx);
    expect(result).toBeInstanceOf(GroupResult);
    expect(await result.get()).toEqual([12, 22]);
  });

  it('collect() walks a chain from its first task', async () => {
    const { fx, add } = fixture();
    const result = await chain(add.s(1, 1), add.s(1), add.s(1)).applyAsync();
    await drain(fx);
    const first = result.parent?.parent as AsyncResult;
    expect(first).toBeInstanceOf(AsyncResult);
    const values: unknown[] = [];
    for await (const [, value] of first.collect()) values.push(value);
    expect(values).toEqual([2, 3, 4]);
  });

  it('refuses a cycle at build time', () => {
    const { add } = fixture();
    const sig = add.s(1);
    const flow = chain(add.s(1, 1), sig);
    sig.link(flow);
    expect(() => flow.toDict()).toThrow(CanvasError);
    expect(() => flow.toDict()).toThrow(/cycle/);
  });
});

describe('bad input', () => {
  it('a chain step naming a task no worker has: NotRegistered, later steps FAILURE, errbacks called', async () => {
    const { fx, add, onError, seen } = fixture();
    const missing = signature('tasks.missing');
    const result = await chain(add.s(1, 2), missing, add.s(3)).applyAsync([], {}, { linkError: onError.s() });
    await drain(fx);
    const failedId = result.parent?.id as string;
    const info = (await fx.app.asyncResult(failedId).info()) as { exc_type: string };
    expect(info.exc_type).toBe('NotRegistered');
    expect(await result.state()).toBe('FAILURE');
    expect(seen).toEqual([failedId]);
  });

  it('a chord member naming a task no worker has fails the body with ChordError; nothing is left waiting', async () => {
    const { fx, add, tsum } = fixture();
    const result = await chord([add.s(1, 1), signature('tasks.missing')], tsum.s()).applyAsync();
    await drain(fx);
    expect(await result.state()).toBe('FAILURE');
    expect(((await result.info()) as { exc_type: string }).exc_type).toBe('ChordError');
    expect(fx.queued()).toHaveLength(0);
    const groupId = (result.parent as GroupResult).id;
    expect(await fx.app.runtime.results.getGroupMembers(groupId)).toBeUndefined();
  });

  it('a chord body that cannot be sent stores the error on the chord result; nothing is left waiting', async () => {
    const { fx, add } = fixture();
    // A body routed to a queue no one can name: the joining worker's send refuses it for good.
    const body = signature('tasks.tsum', [], {}, { queue: '' });
    const flow = chord([add.s(1, 1), add.s(2, 2)], body);
    await expect(flow.applyAsync()).rejects.toThrow('Expected `queue` to be a queue name, got ""');
    expect(fx.queued()).toHaveLength(0);
    // As a producer that does not check the signatures a message carries (Python's) sends it:
    const plan = planWorkflow(
      flow.toDict(),
      {},
      { newId: () => globalThis.crypto.randomUUID(), replyTo: 'r' },
    );
    for (const saved of plan.groups) await fx.app.client.saveGroup(saved.groupId, saved.memberIds);
    await fx.app.client.send(plan.calls.map((call) => fx.app.client.request(call)));
    const result = resultHandle(fx.app.client, plan.result) as AsyncResult;
    await drain(fx);
    expect(await result.state()).toBe('FAILURE');
    expect(await result.info()).toMatchObject({
      exc_type: 'ChordError',
      exc_message: [expect.stringMatching(/^Callback error: .*queue/)],
    });
    expect(fx.queued()).toHaveLength(0);
    const groupId = (result.parent as GroupResult).id;
    expect(await fx.app.runtime.results.getGroupMembers(groupId)).toBeUndefined();
  });

  it('nothing is sent when one message of a workflow is invalid', async () => {
    const { fx, add } = fixture();
    const flow = group(add.s(1, 1), add.s(2, 2).set({ countdown: -1 }));
    await expect(flow.applyAsync()).rejects.toThrow(/countdown/);
    expect(fx.queued()).toHaveLength(0);
  });

  it('nothing is sent when a later step, a callback or an errback carried for later is invalid', async () => {
    const { fx, add, onError } = fixture();
    const negative = 'Expected `countdown` to be a number of seconds >= 0';
    await expect(chain(add.s(1, 2), add.s(3), add.s(4).set({ countdown: -1 })).applyAsync()).rejects.toThrow(
      negative,
    );
    await expect(
      chain(add.s(1, 2), group(add.s(3), add.s(5).set({ countdown: -1 }))).applyAsync(),
    ).rejects.toThrow(negative);
    await expect(add.applyAsync([1, 2], {}, { link: add.s(3).set({ countdown: -1 }) })).rejects.toThrow(
      negative,
    );
    await expect(
      add.applyAsync([1, 2], {}, { link: add.s(3).set({ link: [add.s(4).set({ countdown: -1 })] }) }),
    ).rejects.toThrow(negative);
    await expect(add.applyAsync([1, 2], {}, { linkError: onError.s().set({ queue: '' }) })).rejects.toThrow(
      'Expected `queue` to be a queue name, got ""',
    );
    expect(fx.queued()).toHaveLength(0);
  });
});

describe('large workflows', () => {
  it('a workflow message over the size limit goes through the payload store like any message', async () => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const size = fx.app.task('tasks.size', (n: number, text: string) => n + text.length);
    const big = 'x'.repeat(300 * 1024);
    const result = await chain(add.s(1, 2), size.s(big)).applyAsync();
    const [raw] = fx.transport.broker.peek(fx.queueUrl);
    // On the queue: an S3-style pointer, not the 300 KiB step.
    expect(raw?.body.length).toBeLessThan(10_000);
    await drain(fx);
    expect(await result.get()).toBe(3 + big.length);
  });
});
