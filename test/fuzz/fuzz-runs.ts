/**
 * How hard the fuzz suite tries. `npm test` runs the quick profile (a few hundred cases per property); the long
 * profile (`npm run fuzz:long`, scripts/fuzz-long.ts) sets `FUZZ_RUNS=100000`. `FUZZ_SEED` replays a run that failed, with the seed
 * fast-check printed.
 */
import type { Parameters } from 'fast-check';

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`Expected ${name} to be a positive integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** Cases per property. */
export const FUZZ_RUNS = positiveInteger('FUZZ_RUNS', 200);

/** True for the long profile, which lifts the test timeouts. */
export const LONG_FUZZ = FUZZ_RUNS > 1000;

/** The per-test timeout: the unit project's default is too short for the long profile, which has none. */
export const FUZZ_TIMEOUT_MS = LONG_FUZZ ? 0 : 30_000;

const seedText = process.env.FUZZ_SEED;

/** fast-check parameters for a property of `runs` cases (default {@link FUZZ_RUNS}). */
export function fuzzParameters<T>(runs: number = FUZZ_RUNS): Parameters<T> {
  return {
    numRuns: runs,
    ...(seedText ? { seed: Number(seedText) } : {}),
  };
}

/**
 * Cases for the timing properties, each of which decodes a few hundred kilobytes several times: a small share of
 * {@link FUZZ_RUNS}, at least 5.
 */
export const TIMING_RUNS = Math.max(5, Math.min(500, Math.floor(FUZZ_RUNS / 200)));
