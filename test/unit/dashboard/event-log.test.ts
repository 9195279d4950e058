/** The dashboard's own record of task events, for the timeline. */
import { describe, expect, it } from 'vitest';
import { EventLog, MAX_TASKS } from '../../../src/dashboard/event-log.js';

describe('EventLog', () => {
  it("keeps each task's events in timestamp order and skips events that are not about a task", () => {
    const log = new EventLog();
    log.add([
      { type: 'task-started', uuid: 'a', timestamp: 2 },
      { type: 'worker-heartbeat', timestamp: 1 },
      { type: 'task-received', uuid: 'a', timestamp: 1 },
      { type: 'task-sent', uuid: 'b', timestamp: 3 },
      null,
      'text',
    ]);
    expect(log.forTask('a').map((e) => (e as { type: string }).type)).toEqual([
      'task-received',
      'task-started',
    ]);
    expect(log.forTask('b')).toHaveLength(1);
    expect(log.forTask('c')).toEqual([]);
  });

  it("puts the producer's task-sent first, even when a worker stamped task-received a moment earlier", () => {
    const log = new EventLog();
    log.add([
      { type: 'task-started', uuid: 'a', timestamp: 10.002 },
      { type: 'task-sent', uuid: 'a', timestamp: 10.001 },
      { type: 'task-received', uuid: 'a', timestamp: 10.0005 },
    ]);
    expect(log.forTask('a').map((e) => (e as { type: string }).type)).toEqual([
      'task-sent',
      'task-received',
      'task-started',
    ]);
  });

  it('forgets the oldest task first beyond MAX_TASKS', () => {
    const log = new EventLog();
    log.add(
      Array.from({ length: MAX_TASKS + 1 }, (_, i) => ({ type: 'task-sent', uuid: `t${i}`, timestamp: i })),
    );
    expect(log.forTask('t0')).toEqual([]);
    expect(log.forTask('t1')).toHaveLength(1);
    expect(log.forTask(`t${MAX_TASKS}`)).toHaveLength(1);
  });
});
