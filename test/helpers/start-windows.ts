/**
 * Measures of recorded task runs, for the tests of rate limits and per-key concurrency: how many runs started in
 * the busiest sliding window, and how many were open at once.
 */

/** A run's start and end, in epoch milliseconds. */
export interface TimedRun {
  readonly start: number;
  readonly end: number;
}

/** The most starts in any window of `windowMs` (a start at `t` is in the windows `[t - windowMs + 1, t]`). */
export function busiestWindow(starts: readonly number[], windowMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[j] as number) < (sorted[i] as number) - windowMs + 1) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** The most runs open at once; a run that ends at the millisecond another starts does not overlap it. */
export function mostAtOnce(runs: readonly TimedRun[]): number {
  const edges = runs.flatMap((r) => [
    [r.start, 1],
    [r.end, -1],
  ]) as [number, number][];
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // an end before a start at the same ms
  let open = 0;
  let most = 0;
  for (const [, delta] of edges) {
    open += delta;
    most = Math.max(most, open);
  }
  return most;
}
