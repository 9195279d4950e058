/**
 * CPU time of processes, for the benchmarks' CPU-per-task figures: this process through `process.cpuUsage()`,
 * the emulators (child processes) through `/proc/<pid>/stat` (user + system time of all their threads, in clock
 * ticks of 10 ms). Where `/proc` is missing (not Linux), child processes read as `undefined` and the figures
 * are left out.
 */
import { readFileSync } from 'node:fs';

/** Microseconds per clock tick of `/proc/<pid>/stat` (`getconf CLK_TCK` is 100 on Linux). */
const MICROS_PER_TICK = 10_000;

/** User + system CPU microseconds a process has used so far, or `undefined` when it cannot be read. */
export function processCpuMicros(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which is in parentheses and may hold spaces): state is the 3rd field,
  // utime the 14th and stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * MICROS_PER_TICK : undefined;
}

/** A named process whose CPU time a benchmark accounts for. */
export interface WatchedProcess {
  readonly name: string;
  readonly pid: number;
}

/** CPU microseconds used between `start()` and `stop()`, by this process and by each watched one. */
export interface CpuSpan {
  /** This process. */
  readonly self: number;
  /** Each watched process, by name; `undefined` where it could not be read. */
  readonly others: Readonly<Record<string, number | undefined>>;
}

/** Starts counting; the returned function ends the span and reports it. */
export function startCpuSpan(watched: readonly WatchedProcess[]): () => CpuSpan {
  const selfBefore = process.cpuUsage();
  const before = watched.map((p) => processCpuMicros(p.pid));
  return () => {
    const self = process.cpuUsage(selfBefore);
    const others: Record<string, number | undefined> = {};
    watched.forEach((p, i) => {
      const start = before[i];
      const end = processCpuMicros(p.pid);
      others[p.name] = start === undefined || end === undefined ? undefined : end - start;
    });
    return { self: self.user + self.system, others };
  };
}
