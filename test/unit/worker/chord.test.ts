import { describe, expect, it } from 'vitest';
import { buildResultMeta } from '../../../src/protocol/result-meta.js';
import { TaskState } from '../../../src/protocol/states.js';
import { onChordPartReturn } from '../../../src/worker/chord.js';
import { executeMessage } from '../../../src/worker/execute-message.js';
import type { InboundMessage } from '../../../src/worker/message-outcome.js';
import { type MemoryAppFixture, memoryApp } from '../../helpers/memory-app.js';

/** Sends a chord's header the way Celery's producer does: save the group, then one message per member. */
async function sendChord(
  fx: MemoryAppFixture,
  members: number[][],
  groupId: string,
  bodyFields: Record<string, unknown> = {},
) {
  const bodyId = `${groupId}-body`;
  const body = {
    task: 'tasks.tsum',
    args: [],
    kwargs: {},
    options: { task_id: bodyId, group_id: groupId },
    subtask_type: null,
    immutable: false,
    ...bodyFields,
  };
  const ids = members.map((_, i) => `${groupId}-${i}`);
  await fx.app.runtime.results.saveGroup(groupId, ids, Date.now());
  await fx.app.client.send(
    members.map((args, i) =>
      fx.request('tasks.add', args, {}, { taskId: ids[i], groupId, groupIndex: i, chord: body }),
    ),
  );
  return { bodyId, ids };
}

async function runAll(fx: MemoryAppFixture, log?: (line: string) => void): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const batch = await fx.receiveAll();
    if (batch.length === 0) return;
    for (const message of batch as InboundMessage[]) {
      await executeMessage(message, {
        registry: fx.app.registry,
        runtime: fx.app.runtime,
        identity: fx.identity,
        leaseMs: 60_000,
        queueName: 'celery',
        ...(log ? { log } : {}),
      });
    }
  }
}

describe('chords', () => {
  it('sends the body once with the header results in group order, then deletes the group', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.add', (a: number, b: number) => a + b);
    fx.app.task('tasks.tsum', (values: number[]) => values.reduce((x, y) => x + y, 0));
    const { bodyId } = await sendChord(
      fx,
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
      'g1',
    );
    await runAll(fx);
    expect(await fx.app.asyncResult(bodyId).get({ timeoutMs: 100 })).toBe(12);
    const body = await fx.app.asyncResult(bodyId).meta();
    expect(body).toMatchObject({ group_id: 'g1', parent_id: expect.stringMatching(/^g1-\d$/) });
    expect(await fx.transport.results.getGroupMembers('g1')).toBeUndefined();
  });

  it.each([
    ['larger than the header', 1e9],
    ['0', 0],
    ['a fraction', 2.5],
    ['a string', '3'],
  ])("joins on the whole header when the body's chord_size is %s, and says so", async (_what, chordSize) => {
    const fx = memoryApp();
    fx.app.task('tasks.add', (a: number, b: number) => a + b);
    fx.app.task('tasks.tsum', (values: number[]) => values.reduce((x, y) => x + y, 0));
    const lines: string[] = [];
    const { bodyId } = await sendChord(
      fx,
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
      'gsize',
      { chord_size: chordSize },
    );
    await runAll(fx, (line) => lines.push(line));
    expect(await fx.app.asyncResult(bodyId).get({ timeoutMs: 100 })).toBe(12);
    expect(lines.filter((line) => line.startsWith('chord gsize complete'))).toEqual([
      expect.stringContaining(
        `(its chord_size ${JSON.stringify(chordSize)} does not fit the 3 header tasks: joined on all 3)`,
      ),
    ]);
  });

  it('marks the body FAILURE with ChordError when a header task fails', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.add', (a: number, b: number) => {
      if (a === 2) throw new RangeError('no twos');
      return a + b;
    });
    fx.app.task('tasks.tsum', (values: number[]) => values.length);
    const { bodyId } = await sendChord(
      fx,
      [
        [1, 1],
        [2, 2],
      ],
      'g2',
    );
    await runAll(fx);
    expect(await fx.app.asyncResult(bodyId).info()).toEqual({
      exc_type: 'ChordError',
      exc_message: ['Dependency g2-1 raised RangeError(["no twos"])'],
      exc_module: 'celery.exceptions',
    });
  });

  it('marks the body FAILURE when the group record is gone', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const { bodyId } = await sendChord(fx, [[1, 1]], 'g3');
    await fx.transport.results.deleteChord('g3');
    await runAll(fx);
    expect(await fx.app.asyncResult(bodyId).info()).toMatchObject({
      exc_type: 'ChordError',
      exc_message: ['GroupResult g3 no longer exists'],
    });
  });

  it('leaves the body to the joining member when a duplicate delivery comes while it joins', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const { bodyId, ids } = await sendChord(
      fx,
      [
        [1, 1],
        [2, 2],
      ],
      'g4',
    );
    const [m0, m1] = fx.queued();
    if (!m0 || !m1) throw new Error('expected two header messages');
    const results = fx.app.runtime.results;
    for (const [i, value] of [2, 4].entries()) {
      const taskId = ids[i] ?? '';
      const meta = buildResultMeta({
        taskId,
        status: TaskState.SUCCESS,
        result: value,
        dateDone: new Date(),
      });
      await results.put(taskId, meta, { nowMs: Date.now() });
    }
    await results.incrementChordCounter(
      'g4',
      ids.map((_, i) => i),
    );
    // Member 1 reached the size and is joining; member 0's duplicate delivery finds the count at the size too.
    expect(await results.claimChordJoin('g4', ids[1] ?? '')).toBe(true);
    expect(
      await onChordPartReturn({ runtime: fx.app.runtime, client: fx.app.client }, m0, { repeat: true }),
    ).toBeUndefined();
    expect(fx.queued()).toHaveLength(2);
    // Member 1's own delivery, repeated after a crash, joins and sends the body once.
    expect(
      await onChordPartReturn({ runtime: fx.app.runtime, client: fx.app.client }, m1, { repeat: true }),
    ).toMatch(/chord g4 complete/);
    expect(
      fx
        .queued()
        .slice(2)
        .map((m) => [m.headers.id, m.args]),
    ).toEqual([[bodyId, [[2, 4]]]]);
  });

  it('does not count a task that names the chord but is not in its saved group, so the chord does not join early', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const { bodyId, ids } = await sendChord(
      fx,
      [
        [1, 1],
        [2, 2],
      ],
      'g5',
    );
    const [m0, m1] = fx.queued();
    if (!m0 || !m1) throw new Error('expected two header messages');
    const deps = { runtime: fx.app.runtime, client: fx.app.client };
    const finished = async (i: number, value: number) => {
      const taskId = ids[i] ?? '';
      const meta = buildResultMeta({
        taskId,
        status: TaskState.SUCCESS,
        result: value,
        dateDone: new Date(),
      });
      await fx.app.runtime.results.put(taskId, meta, { nowMs: Date.now() });
    };
    const stranger = { ...m0, headers: { ...m0.headers, id: 'g5-stranger' } };
    expect(await onChordPartReturn(deps, stranger)).toBe(
      'task g5-stranger names chord group g5 but is not in its saved group: not counted',
    );
    // The stranger took no one's place: the first member makes the count 1 of 2, and nothing is sent.
    await finished(0, 2);
    expect(await onChordPartReturn(deps, m0)).toBeUndefined();
    expect(fx.queued()).toHaveLength(2);
    await finished(1, 4);
    expect(await onChordPartReturn(deps, m1)).toMatch(/chord g5 complete/);
    expect(fx.queued().find((m) => m.headers.id === bodyId)?.args).toEqual([[2, 4]]);
  });
});
