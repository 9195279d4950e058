/**
 * Reads the side log the fault app's tasks write (one JSON line per task start and end) and finds bodies that
 * ran to their end more than once for one attempt.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { SideLogRecord } from '../fixtures/fault-app.js';

/** A worker process the test SIGKILLed, and when. */
export interface KilledProcess {
  readonly pid: number;
  readonly atMs: number;
}

/** One (task id, retries) whose body finished more than once. */
export interface DuplicateRun {
  readonly id: string;
  readonly retries: number;
  /** The end records, oldest first: pid and time. */
  readonly ends: readonly { readonly pid: number; readonly t: number }[];
  /** Whether two runs of the attempt overlapped in time (both started before either ended). */
  readonly concurrent: boolean;
}

/** What the side log shows. */
export interface SideLogSummary {
  readonly records: readonly SideLogRecord[];
  readonly starts: number;
  readonly ends: number;
  /** Runs stopped through their signal (handed back on shutdown). */
  readonly aborts: number;
  /** Attempts whose body finished twice or more, not counting {@link SideLogSummary.rerunsAfterKill}. */
  readonly duplicates: readonly DuplicateRun[];
  /**
   * Attempts run again because the process that finished the body was SIGKILLed before it could record the
   * outcome: at-least-once execution after a crash, which no claim can prevent.
   */
  readonly rerunsAfterKill: number;
  /** Longest event-loop stall a worker logged, ms (0 when none passed the threshold). */
  readonly maxLagMs: number;
}

/** Parses the side log at `path` (empty when nothing was written). */
export function readSideLog(path: string): SideLogRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as SideLogRecord);
}

/**
 * Summarises the side log. An attempt with two end records counts as a duplicate, unless the earlier end came
 * from a process killed after it, and the later run started after the kill.
 */
export function summariseSideLog(path: string, killed: readonly KilledProcess[] = []): SideLogSummary {
  const records = readSideLog(path);
  const killedAt = new Map(killed.map((k) => [k.pid, k.atMs]));
  const byAttempt = new Map<string, SideLogRecord[]>();
  let maxLagMs = 0;
  for (const record of records) {
    if (record.ev === 'lag') {
      maxLagMs = Math.max(maxLagMs, record.ms ?? 0);
      continue;
    }
    const key = `${record.id}#${record.retries}`;
    const list = byAttempt.get(key) ?? [];
    list.push(record);
    byAttempt.set(key, list);
  }
  const duplicates: DuplicateRun[] = [];
  let rerunsAfterKill = 0;
  for (const list of byAttempt.values()) {
    const ends = list.filter((r) => r.ev === 'end').sort((a, b) => a.t - b.t);
    if (ends.length < 2) continue;
    let unexplained = 0;
    for (let i = 1; i < ends.length; i++) {
      const earlier = ends[i - 1] as SideLogRecord;
      const later = ends[i] as SideLogRecord;
      const kill = killedAt.get(earlier.pid);
      const laterStart = list
        .filter((r) => r.ev === 'start' && r.pid === later.pid && r.t <= later.t)
        .reduce((latest, r) => Math.max(latest, r.t), 0);
      if (kill !== undefined && kill >= earlier.t && laterStart >= kill) rerunsAfterKill++;
      else unexplained++;
    }
    if (unexplained === 0) continue;
    const starts = list.filter((r) => r.ev === 'start').sort((a, b) => a.t - b.t);
    const secondStart = starts[1]?.t ?? Number.POSITIVE_INFINITY;
    const first = ends[0] as SideLogRecord;
    duplicates.push({
      id: first.id,
      retries: first.retries,
      ends: ends.map((e) => ({ pid: e.pid, t: e.t })),
      concurrent: secondStart < first.t,
    });
  }
  return {
    records,
    starts: records.filter((r) => r.ev === 'start').length,
    ends: records.filter((r) => r.ev === 'end').length,
    aborts: records.filter((r) => r.ev === 'abort').length,
    duplicates,
    rerunsAfterKill,
    maxLagMs,
  };
}
