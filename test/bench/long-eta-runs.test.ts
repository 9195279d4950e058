/** `bench/long-eta.ts` keeps running, and its break-even is the default threshold the code uses. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LONG_ETA_THRESHOLD_SECONDS } from '../../src/long-eta.js';
import { runBench } from './run-bench.js';

/** The hops/schedule ratio of the row for `hours` in the table of batches of `batch`. */
function ratioAt(output: string, batch: number, hours: string): number {
  const section = output.split(`batches of ${batch} `)[1] ?? '';
  const row = section.split('\n').find((line) => line.trimStart().startsWith(`${hours} h`));
  const ratio = row?.trim().split(/\s+/).at(-1);
  if (ratio === undefined) throw new Error(`no row ${hours} h for batches of ${batch} in:\n${output}`);
  return Number(ratio);
}

describe('bench/long-eta.ts', () => {
  it('prices hops against a schedule and finds the break-even at the default threshold', async () => {
    const { code, output } = await runBench('long-eta.ts', { BENCH_LONG_ETA_MAX_HOURS: '1' });
    expect(code, output).toBe(0);
    // A 15-minute wait needs no hop: SQS's delay alone is cheaper; an hour of hops costs more than a schedule.
    expect(ratioAt(output, 10, '0.25')).toBeLessThan(1);
    expect(ratioAt(output, 10, '1.00')).toBeGreaterThan(1);
    expect(ratioAt(output, 1, '1.00')).toBeGreaterThan(ratioAt(output, 10, '1.00'));
    const breakEven = /break-even \(batches of 10\): hops cost no more up to (\d+) s/.exec(output)?.[1];
    expect(Number(breakEven)).toBe(DEFAULT_LONG_ETA_THRESHOLD_SECONDS);
  });
});
