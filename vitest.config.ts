import { defineConfig } from 'vitest/config';

/**
 * Test projects:
 * - `fuzz`: the quick profile of the decoders' property-based fuzzing (test/fuzz/; `npm run fuzz:long` runs
 *   100,000 cases). Its timing properties compare hostile input with valid input of the same size, so it runs
 *   first and alone (group 0), one file at a time, before every other project (group 1, two files at a time)
 *   loads the cores.
 * - `unit`: pure code and in-memory adapters, and the golden-vector tests (recorded Python Celery traffic read
 *   from files); no network.
 * - `integration`: contract, integration, golden-capture and interop tests against one moto server started for
 *   the run (test/emulator/global-setup.ts); files isolate themselves with unique resource names.
 * - `browser`: the dashboard in Chromium (Debian's, installed by scripts/install-chromium.sh; CHROMIUM_PATH to use
 *   another) driven by playwright-core, on tasks run on the same kind of moto server as `integration`; screenshots
 *   go to test-results/screenshots/.
 * - `infra`: CDK template assertions and cdk-nag checks on the constructs in infra/; no emulator. Bundling a
 *   worker with esbuild takes a second or two, hence the longer timeout.
 * - `package`: packs the package and installs the tarball into fresh CommonJS and ES module projects, where every
 *   entry point must load (npm's cache serves the dependencies `npm ci` already fetched).
 * - `faults`: the fault suite (test/faults/, see docs/reliability.md): real `celeriac worker` processes and the
 *   Lambda handler against a moto server of its own, behind a fault-injecting proxy (SIGKILL, SIGTERM, redelivery,
 *   poison, an emulator freeze, throttling, resets, hung requests). It runs last and alone (group 2), two files at
 *   a time, so its worker processes and moto have the cores to themselves; a few minutes in all.
 * - `bench`: runs the benchmarks at a tiny size (they are not timed here, only kept working); its global setup
 *   fetches ElasticMQ from Maven Central the first time, once for all its files.
 * - `e2e`: on MiniStacks of their own (free ports), deploys the demo stack with the CDK CLI and runs tasks through
 *   the deployed Lambda worker inside the emulator; runs the built `celeriac local` CLI on a fixture app; redrives
 *   dead letters (test/e2e/). The demo's periodic-task case waits for two schedule firings (up to 3.5 minutes).
 */
export default defineConfig({
  test: {
    // Vitest's default is one file fewer than the cores: one file at a time on a two-core machine. Most files here
    // spend their time waiting (on moto, MiniStack, Python workers, npm, schedules), so two files share two cores;
    // `fuzz` keeps its own one at a time.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'fuzz',
          include: ['test/fuzz/**/*.test.ts'],
          maxWorkers: 1,
          testTimeout: 60_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 1 },
          include: ['test/unit/**/*.test.ts', 'test/golden/**/*.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: [
            'test/integration/**/*.test.ts',
            'test/contract/**/*.test.ts',
            'test/interop/**/*.test.ts',
          ],
          globalSetup: ['test/emulator/global-setup.ts'],
          setupFiles: ['test/emulator/setup-env.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'browser',
          sequence: { groupOrder: 1 },
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/emulator/global-setup.ts'],
          setupFiles: ['test/emulator/setup-env.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'infra',
          sequence: { groupOrder: 1 },
          include: ['test/infra/**/*.test.ts'],
          setupFiles: ['test/infra/setup-outdir.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'package',
          sequence: { groupOrder: 1 },
          include: ['test/package/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'faults',
          sequence: { groupOrder: 2 },
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/emulator/global-setup.ts'],
          setupFiles: ['test/emulator/setup-env.ts'],
          maxWorkers: 2,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'bench',
          sequence: { groupOrder: 1 },
          include: ['test/bench/**/*.test.ts'],
          globalSetup: ['test/bench/global-setup.ts'],
          testTimeout: 240_000,
        },
      },
      {
        test: {
          name: 'e2e',
          sequence: { groupOrder: 1 },
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
