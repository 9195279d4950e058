/**
 * Global setup of the `local` tests: starts a local emulator on a free port (installing it into a cache the first
 * time) with celeriac's `emulatorGlobalSetup`, deploys this project's stack to it with `celeriac local deploy`
 * (its state in {@link TEST_STATE_DIR}), and stops the emulator when the run ends.
 */
import { execFileSync } from 'node:child_process';
import { emulatorGlobalSetup, type ProvidingProject } from 'celeriac/testing';
import { TEST_STATE_DIR } from './local-state.js';

const startEmulator = emulatorGlobalSetup();

export default async function setup(project: ProvidingProject): Promise<() => Promise<void>> {
  const stop = await startEmulator(project);
  try {
    // emulatorGlobalSetup points AWS_ENDPOINT_URL at the emulator it started; deploy there.
    const port = new URL(process.env.AWS_ENDPOINT_URL ?? '').port;
    // Its own state directory, so a stack you run with `celeriac local deploy` keeps its outputs and env.
    execFileSync('npx', ['celeriac', 'local', 'deploy', '--port', port, '--state-dir', TEST_STATE_DIR], {
      stdio: 'inherit',
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}
