/**
 * The long fuzz profile: every property in test/fuzz/ with 100,000 cases (the timing properties with 500),
 * and no test timeouts. It takes a quarter of an hour or so; `npm test` runs the same properties with a few
 * hundred cases.
 *
 * Usage: `tsx scripts/fuzz-long.ts [vitest filters...]`. `FUZZ_RUNS` sets another number of cases, and
 * `FUZZ_SEED` replays a failure with the seed fast-check printed for it.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = process.env.FUZZ_RUNS ?? '100000';
console.log(`Fuzzing the decoders with ${runs} cases per property...`);
const result = spawnSync('npx', ['vitest', 'run', '--project', 'fuzz', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: runs },
});
process.exit(result.status ?? 1);
