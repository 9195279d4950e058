/**
 * MiniStack, the emulator of the local stack: how to start it so that it runs deployed Lambda functions
 * correctly, and wait until it answers.
 *
 * Found by running MiniStack 1.5.33:
 * - It runs a Node.js Lambda function with the `node` on its PATH (the host's Node, whatever the function's
 *   declared runtime) and writes the function's code and its own runner script under `TMPDIR`. A `TMPDIR`
 *   inside a package whose package.json says `"type": "module"` makes Node load that CommonJS runner as an ES
 *   module, and every invocation then fails with "Worker process exited immediately". Each MiniStack therefore
 *   gets a fresh directory under the system temp directory.
 * - The function's process inherits MiniStack's environment, so MiniStack gets a small, explicit one (no AWS
 *   credentials or celeriac variables from the shell), with `AWS_ENDPOINT_URL` pointing back at itself: the
 *   functions' SDK calls then stay on the emulator.
 * - By default it also listens on port 8883 (an IoT MQTT broker) and starts an SFTP server; both are switched
 *   off, so that two MiniStacks (a developer's local stack and a test run's) can run side by side.
 * - It listens on `GATEWAY_PORT` at `BIND_HOST`; only the loopback address is used, so nothing outside this
 *   machine reaches the emulator.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  LOCAL_REGION,
  loopbackEndpoint,
  MINISTACK_ACCESS_KEY,
  MINISTACK_ACCOUNT,
} from './emulator-environment.js';
import { ensureEmulator } from './ensure-emulator.js';
import { freePort } from './free-port.js';
import { identifyEndpoint, MINISTACK_HEALTH_PATH } from './identify-endpoint.js';
import { EmulatorError } from './local-errors.js';
import { killProcessGroupNow, stopProcessGroup } from './process-group.js';

export { defaultEmulatorCacheDir, type EnsureEmulatorOptions, ensureEmulator } from './ensure-emulator.js';

/** The port the local stack listens on unless told otherwise (the one AWS emulators share). */
export const DEFAULT_EMULATOR_PORT = 4566;

/** Options for {@link spawnEmulator}. */
export interface SpawnEmulatorOptions {
  /** The `ministack` executable (see `ensureEmulator`). */
  readonly bin: string;
  /** Loopback port to listen on. */
  readonly port: number;
  /** Where its output goes: a file descriptor (a log file) or `'pipe'`. */
  readonly output: number | 'pipe';
}

/** A started emulator process, the leader of its own process group. */
export interface EmulatorProcess {
  readonly child: ChildProcess;
  readonly endpoint: string;
  /** Its `TMPDIR`: Lambda code, its runner scripts, its pid file. Remove it after the process is gone. */
  readonly tempDir: string;
}

/**
 * Starts MiniStack on `127.0.0.1:<port>` in a new process group, without waiting for it to answer (see
 * {@link waitForEmulator}). Stop it with `stopProcessGroup(child.pid)`, which stops its Lambda processes too.
 */
export function spawnEmulator(options: SpawnEmulatorOptions): EmulatorProcess {
  if (!existsSync(options.bin)) {
    throw new EmulatorError(
      `MiniStack is not installed at ${options.bin}; \`celeriac local up\` installs it (ensureEmulator()).`,
    );
  }
  const endpoint = loopbackEndpoint(options.port);
  const tempDir = mkdtempSync(path.join(tmpdir(), `celeriac-ministack-${options.port}-`));
  const env: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ'] as const) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, {
    GATEWAY_PORT: String(options.port),
    BIND_HOST: '127.0.0.1',
    TMPDIR: tempDir,
    // Lambda functions inherit this environment: keep their SDK calls on this MiniStack.
    AWS_ENDPOINT_URL: endpoint,
    // The bundled SDK warns on every cold start when the host's Node is older than 22.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    IOT_MTLS_ENABLED: '0',
    SFTP_ENABLED: '0',
    LOG_LEVEL: 'INFO',
    PYTHONUNBUFFERED: '1',
  });
  const child = spawn(options.bin, [], {
    cwd: tempDir,
    env,
    detached: true,
    stdio: ['ignore', options.output, options.output],
  });
  return { child, endpoint, tempDir };
}

/**
 * Waits until MiniStack answers on `endpoint`; throws when `child` exits first or nothing answers within
 * `timeoutMs`. `logHint` says where its output is, for the error message.
 */
export async function waitForEmulator(
  endpoint: string,
  child: ChildProcess,
  options: { readonly timeoutMs?: number; readonly logTail?: () => string } = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  let exited: number | string | undefined;
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    exited = code ?? signal ?? 'unknown';
  };
  child.once('exit', onExit);
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited !== undefined || child.exitCode !== null) {
        throw new EmulatorError(
          `MiniStack exited (${exited ?? child.exitCode}) before answering on ${endpoint}. The end of its output:\n` +
            (options.logTail?.() ?? ''),
          { endpoint },
        );
      }
      const owner = await identifyEndpoint(endpoint, 1000);
      if (owner.kind === 'ministack') return owner.version;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    child.off('exit', onExit);
  }
  throw new EmulatorError(
    `MiniStack did not answer on ${endpoint}${MINISTACK_HEALTH_PATH} within ${timeoutMs / 1000} s. The end of ` +
      `its output:\n${options.logTail?.() ?? ''}`,
    { endpoint },
  );
}

/** The signals that end a process whose code does not handle them (Ctrl-C, `kill`, a closed terminal). */
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `cleanUp` (synchronous) when the process exits or is ended by SIGINT, SIGTERM or SIGHUP; returns the
 * function that cancels it. On a signal no other code listens for, the process then ends by that signal, as it
 * would have without the listener; where other listeners are (a test runner's), they decide.
 */
function cleanUpAtExit(cleanUp: () => void): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    detach();
    cleanUp();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const detach = (): void => {
    process.off('exit', cleanUp);
    for (const signal of ENDING_SIGNALS) process.off(signal, onSignal);
  };
  process.once('exit', cleanUp);
  for (const signal of ENDING_SIGNALS) process.on(signal, onSignal);
  return detach;
}

/** Options for {@link startEmulator}. */
export interface StartEmulatorOptions {
  /** Loopback port; `0` picks a free one. Default {@link DEFAULT_EMULATOR_PORT}. */
  readonly port?: number;
  /** The address to listen on: loopback only. */
  readonly host?: '127.0.0.1';
  /** The `ministack` executable. Default: the one `ensureEmulator` installs (installing it if needed). */
  readonly bin?: string;
  /** Passed to `ensureEmulator` when `bin` is not given. */
  readonly cacheDir?: string;
  /** Install progress, passed to `ensureEmulator`. */
  readonly onProgress?: (line: string) => void;
  /** Called with MiniStack's output as it comes (Lambda invocations and what they printed). */
  readonly onOutput?: (text: string) => void;
  /** How long to wait for it to answer. Default 60 s. */
  readonly timeoutMs?: number;
}

/** A running emulator and what clients need to talk to it. */
export interface RunningEmulator {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The account resources are created in. */
  readonly accountId: string;
  /** The MiniStack version that answered. */
  readonly version: string;
  /** Its process id, the leader of the process group its Lambda processes run in. */
  readonly pid: number;
  /** Everything MiniStack printed so far. */
  output(): string;
  /** Stops MiniStack and its Lambda processes, and removes its temporary directory. */
  stop(): Promise<void>;
}

/**
 * Starts MiniStack on the loopback address for the life of this process (a test run, a script), installing it
 * first when needed, and resolves once it answers.
 *
 * @example
 * const emulator = await startEmulator({ port: 0 });
 * process.env.AWS_ENDPOINT_URL = emulator.endpoint;
 * // ...
 * await emulator.stop();
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const requested = options.port ?? DEFAULT_EMULATOR_PORT;
  if (!Number.isInteger(requested) || requested < 0 || requested > 65_535) {
    throw new EmulatorError(`Expected \`port\` to be a TCP port number (0 for a free one), got ${requested}`);
  }
  const bin =
    options.bin ??
    (
      await ensureEmulator({
        ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      })
    ).bin;
  const port = requested === 0 ? await freePort() : requested;
  const endpoint = loopbackEndpoint(port);
  const owner = await identifyEndpoint(endpoint);
  if (owner.kind !== 'nothing') {
    const what = owner.kind === 'ministack' ? `a MiniStack ${owner.version} already` : owner.description;
    throw new EmulatorError(
      `127.0.0.1:${port} is held by ${what}; stop it, or start the emulator on another port (port: 0 picks a ` +
        'free one).',
      { endpoint },
    );
  }
  const spawned = spawnEmulator({ bin, port, output: 'pipe' });
  let output = '';
  const collect = (chunk: Buffer): void => {
    const text = chunk.toString();
    output = (output + text).slice(-1_000_000);
    options.onOutput?.(text);
  };
  spawned.child.stdout?.on('data', collect);
  spawned.child.stderr?.on('data', collect);
  const pid = spawned.child.pid;
  if (pid === undefined) {
    rmSync(spawned.tempDir, { recursive: true, force: true });
    throw new EmulatorError(`MiniStack (${bin}) did not start`, { endpoint });
  }
  // A run that ends without calling stop(), by its end or by a signal, must not leave the emulator behind.
  const detach = cleanUpAtExit(() => {
    killProcessGroupNow(pid);
    rmSync(spawned.tempDir, { recursive: true, force: true });
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    detach();
    await stopProcessGroup(pid);
    rmSync(spawned.tempDir, { recursive: true, force: true });
  };
  let version: string;
  try {
    version = await waitForEmulator(endpoint, spawned.child, {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      logTail: () => output.trimEnd().split('\n').slice(-20).join('\n'),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    endpoint,
    port,
    region: LOCAL_REGION,
    accessKeyId: MINISTACK_ACCESS_KEY,
    secretAccessKey: MINISTACK_ACCESS_KEY,
    accountId: MINISTACK_ACCOUNT,
    version,
    pid,
    output: () => output,
    stop,
  };
}
