import { defineConfig } from 'vitest/config';

/**
 * - `memory` (`npm test`): the tasks on an in-memory app, with a worker inside the test; no AWS, no emulator.
 * - `local` (`npm run test:local`): the deployed stack on a local emulator, which the global setup starts and
 *   deploys this project's stack to (the first run installs the emulator into a cache, which takes a while).
 */
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'memory', include: ['test/tasks.test.ts'] } },
      {
        test: {
          name: 'local',
          include: ['test/local.test.ts'],
          globalSetup: ['test/local-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
