import { describe, expect, it } from 'vitest';
import { ProcessedCounts } from '../../../src/worker/processed-counts.js';

const registry = { get: (name: string) => (name === 'tasks.add' ? ({} as never) : undefined) };

describe('ProcessedCounts', () => {
  it('counts every outcome by state, and by name the tasks this host has that ran or ended for good', () => {
    const counts = new ProcessedCounts(registry);
    counts.add({ state: 'SUCCESS', taskName: 'tasks.add' });
    counts.add({ state: 'FAILURE', taskName: 'tasks.add' });
    counts.add({ state: 'RETRY', taskName: 'tasks.add' });
    // Not runs of the task: a duplicate delivery, one held for its ETA, one that could not be decoded.
    counts.add({ state: 'DUPLICATE', taskName: 'tasks.add' });
    counts.add({ state: 'DELAYED', taskName: 'tasks.add' });
    counts.add({ state: 'INVALID' });
    // A name the sender made up: counted by state only, so the record cannot grow with names.
    counts.add({ state: 'FAILURE', taskName: 'made.up' });
    expect(counts.byState).toEqual({
      SUCCESS: 1,
      FAILURE: 2,
      RETRY: 1,
      DUPLICATE: 1,
      DELAYED: 1,
      INVALID: 1,
    });
    expect(counts.byTask).toEqual({ 'tasks.add': 3 });
  });
});
