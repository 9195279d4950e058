import { describe, expect, it } from 'vitest';
import {
  activeTasks,
  type InFlight,
  MAX_ACTIVE_REPR_CHARS,
  MAX_ACTIVE_REPR_TOTAL,
} from '../../../src/worker/in-flight.js';

const long = 'x'.repeat(5000);

function entry(i: number, claimed = true): InFlight {
  return {
    queue: { name: 'celery', url: 'http://127.0.0.1/000000000000/celery', fifo: false },
    message: {
      messageId: `m-${i}`,
      receiptHandle: 'r',
      body: '',
      receiveCount: i === 0 ? 2 : 1,
      attributes: {},
    },
    ...(claimed
      ? { claim: { taskId: `t-${i}`, owner: 'o', taskName: 'tasks.big', argsrepr: long, kwargsrepr: '{}' } }
      : {}),
    claimedAtMs: 1000,
  } as unknown as InFlight;
}

describe('activeTasks', () => {
  it("lists the claimed tasks with Celery's repr, cut to 1,024 characters", () => {
    const [only, ...rest] = activeTasks([entry(0), entry(1, false)]);
    expect(rest).toEqual([]);
    expect(only).toEqual({
      id: 't-0',
      name: 'tasks.big',
      startedAtMs: 1000,
      args: `${long.slice(0, MAX_ACTIVE_REPR_CHARS)}... (${5000 - MAX_ACTIVE_REPR_CHARS} more characters)`,
      kwargs: '{}',
      queue: 'celery',
      redelivered: true,
    });
  });

  it('shares a bound on the repr among many running tasks, so the record fits in one item', () => {
    const tasks = activeTasks(Array.from({ length: 100 }, (_, i) => entry(i)));
    expect(tasks).toHaveLength(100);
    const each = Math.floor(MAX_ACTIVE_REPR_TOTAL / 200);
    expect(tasks[5]?.args).toBe(`${long.slice(0, each)}... (${5000 - each} more characters)`);
    expect(JSON.stringify(tasks).length).toBeLessThan(60_000);
  });
});
