import { configDefaults, defineConfig } from 'vitest/config';

/** The tests against the deployed stack: they need the emulator, so only `local` runs them. */
const localTests = ['test/local.test.ts'];

/**
 * - `memory` (`npm test`): every test under test/ but the local ones (the tasks on an in-memory app, with a worker
 *   inside the test; no AWS, no emulator).
 * - `local` (`npm run test:local`): the deployed stack on a local emulator, which the global setup starts and
 *   deploys this project's stack to (the first run installs the emulator into a cache, which takes a while). A
 *   new test against the stack goes into `localTests`.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'memory',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...localTests],
        },
      },
      {
        test: {
          name: 'local',
          include: localTests,
          globalSetup: ['test/local-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
