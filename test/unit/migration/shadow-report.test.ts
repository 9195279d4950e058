import { describe, expect, it } from 'vitest';
import { MemoryResultStore } from '../../../src/memory/memory-result-store.js';
import { MemoryRouteStore } from '../../../src/memory/memory-route-store.js';
import { compareShadow } from '../../../src/migration/compare-shadow.js';
import { shadowReport } from '../../../src/migration/shadow-report.js';
import type { ShadowRecord } from '../../../src/ports/route-store.js';
import type { ResultMeta } from '../../../src/protocol/result-meta.js';

const shadow = (taskId: string, value: unknown, state: 'SUCCESS' | 'FAILURE' = 'SUCCESS'): ShadowRecord => ({
  taskId,
  taskName: 'tasks.quote',
  state,
  valueJson: JSON.stringify(value),
  storedAtMs: 1,
  hostname: 'celeriac@test',
});
const meta = (status: string, result: unknown, taskId = 't'): ResultMeta => ({
  status,
  result,
  traceback: null,
  children: [],
  date_done: '2026-01-01T00:00:00+00:00',
  task_id: taskId,
});

describe('comparing a shadow result with the real one', () => {
  it('compares values as JSON with sorted keys, and failures by exception type', () => {
    expect(
      compareShadow(shadow('a', { y: 1, x: [1, 2] }), meta('SUCCESS', { x: [1, 2], y: 1 })).verdict,
    ).toBe('same');
    expect(compareShadow(shadow('a', 3), meta('SUCCESS', 4))).toMatchObject({
      verdict: 'differs',
      python: { state: 'SUCCESS', value: 4 },
      celeriac: { state: 'SUCCESS', value: 3 },
    });
    const boom = { exc_type: 'ValueError', exc_message: ['x'] };
    expect(
      compareShadow(shadow('a', boom, 'FAILURE'), meta('FAILURE', { ...boom, exc_message: ['y'] })).verdict,
    ).toBe('same');
    expect(compareShadow(shadow('a', 3), meta('FAILURE', boom)).verdict).toBe('differs');
    expect(compareShadow(shadow('a', 3), meta('STARTED', {})).verdict).toBe('pending');
    expect(compareShadow(shadow('a', 3), undefined).verdict).toBe('pending');
  });

  it('reports the differing task ids with both values, and counts the rest', async () => {
    const routes = new MemoryRouteStore();
    const results = new MemoryResultStore(() => Date.now());
    for (const [id, python, celeriac] of [
      ['t1', 10, 11],
      ['t2', 20, 20],
      ['t3', 30, 31],
    ] as const) {
      await routes.putShadow(shadow(id, celeriac));
      await results.put(id, meta('SUCCESS', python, id), { nowMs: Date.now() });
    }
    await routes.putShadow(shadow('t4', 40));
    const report = await shadowReport({ routes, results }, { taskName: 'tasks.quote' });
    expect(report.same).toBe(1);
    expect(report.pending).toBe(1);
    expect(report.differs.map((d) => [d.taskId, d.python?.value, d.celeriac.value]).sort()).toEqual([
      ['t1', 10, 11],
      ['t3', 30, 31],
    ]);
    expect((await shadowReport({ routes, results }, { taskName: 'tasks.other' })).differs).toEqual([]);
  });
});
