/**
 * The side log of the Python flow-control interop tests, in which both sides' tasks
 * (`python/fixtures/celeriac_flow_fleet.py` and test/fixtures/mixed-flow-app.ts) append one JSON line per run.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MixedRun } from '../../fixtures/mixed-flow-app.js';

/** A side log in a fresh temporary directory: its path (`FLOW_SIDE_LOG` of both sides) and its runs. */
export interface SideLog {
  readonly path: string;
  /** The runs of `task` logged so far, in the order they were written. */
  runs(task: string): MixedRun[];
}

/** Creates an empty side log's location; `name` names the temporary directory. */
export function createSideLog(name: string): SideLog {
  const file = path.join(mkdtempSync(path.join(tmpdir(), `celeriac-${name}-`)), 'runs.jsonl');
  return {
    path: file,
    runs: (task) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as MixedRun)
        .filter((run) => run.task === task),
  };
}
