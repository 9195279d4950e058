import { defineConfig } from 'vitest/config';

/**
 * Test projects:
 * - `unit`: pure code and in-memory adapters, and the golden-vector tests (recorded Python Celery traffic read
 *   from files); no network.
 * - `integration`: contract, integration, golden-capture and interop tests against one moto server started for
 *   the run (test/emulator/global-setup.ts); files isolate themselves with unique resource names.
 * - `infra`: CDK template assertions and cdk-nag checks on the constructs in infra/; no emulator. Bundling a
 *   worker with esbuild takes a second or two, hence the longer timeout.
 * - `e2e`: deploys the demo stack with the CDK CLI to a MiniStack of its own (on a free port) and runs tasks
 *   through the deployed Lambda worker inside the emulator (test/e2e/); about half a minute.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/golden/**/*.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
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
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
