/**
 * A vitest `globalSetup` that starts one MiniStack for the whole test run (installing it into the cache the
 * first time) on a free loopback port, hands its endpoint and credentials to the tests, and stops it, with every
 * Lambda process it ran, when the run ends.
 *
 * Tests get the emulator two ways: `inject('celeriacEmulator')`, and the standard AWS variables
 * (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`), set in the main process
 * before the test workers start, so that SDK clients and `createApp()` find the emulator without being told.
 *
 * @example
 * // vitest.config.ts
 * export default defineConfig({ test: { globalSetup: ['test/emulator.ts'] } });
 * // test/emulator.ts
 * import { emulatorGlobalSetup } from 'celeriac/testing';
 * export default emulatorGlobalSetup();
 * // a test
 * const { endpoint } = inject('celeriacEmulator');
 */
import type {} from 'vitest';
import { type StartEmulatorOptions, startEmulator } from '../local/emulator.js';

/** What tests need to talk to the emulator. */
export interface EmulatorConnection {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly accountId: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The emulator {@link emulatorGlobalSetup} started for this run. */
    celeriacEmulator: EmulatorConnection;
  }
}

/**
 * What the setup uses of vitest's `TestProject`: its `provide`. Declared here rather than imported, so the
 * project of any vitest copy fits (a project that depends on a celeriac checkout has two: its own, and the
 * checkout's, whose `TestProject` types would not match its own).
 */
export interface ProvidingProject {
  provide(key: 'celeriacEmulator', value: EmulatorConnection): void;
}

/** Options for {@link emulatorGlobalSetup}. */
export interface EmulatorGlobalSetupOptions extends Omit<StartEmulatorOptions, 'port'> {
  /** Loopback port. Default `0`: a free one, so a developer's local stack on 4566 is left alone. */
  readonly port?: number;
  /** Set `AWS_ENDPOINT_URL` and the other AWS variables for the tests. Default `true`. */
  readonly setEnv?: boolean;
}

/** The variables {@link emulatorGlobalSetup} sets, from a connection. */
export function emulatorEnv(connection: EmulatorConnection): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: connection.endpoint,
    AWS_REGION: connection.region,
    AWS_DEFAULT_REGION: connection.region,
    AWS_ACCESS_KEY_ID: connection.accessKeyId,
    AWS_SECRET_ACCESS_KEY: connection.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/**
 * Builds a vitest global setup function that starts the emulator once per run and returns its teardown.
 * Install progress goes to stderr unless `onProgress` says otherwise.
 */
export function emulatorGlobalSetup(
  options: EmulatorGlobalSetupOptions = {},
): (project: ProvidingProject) => Promise<() => Promise<void>> {
  return async (project) => {
    const { setEnv = true, ...start } = options;
    const emulator = await startEmulator({
      onProgress: (line) => process.stderr.write(`celeriac emulator: ${line}\n`),
      ...start,
      port: options.port ?? 0,
    });
    const connection: EmulatorConnection = {
      endpoint: emulator.endpoint,
      region: emulator.region,
      accessKeyId: emulator.accessKeyId,
      secretAccessKey: emulator.secretAccessKey,
      accountId: emulator.accountId,
    };
    project.provide('celeriacEmulator', connection);
    const saved: Record<string, string | undefined> = {};
    if (setEnv) {
      for (const [name, value] of Object.entries(emulatorEnv(connection))) {
        saved[name] = process.env[name];
        process.env[name] = value;
      }
      for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN']) {
        saved[name] = process.env[name];
        delete process.env[name];
      }
    }
    return async () => {
      await emulator.stop();
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    };
  };
}

/** The global setup with the defaults (a free port, the AWS variables set). */
export default emulatorGlobalSetup();
