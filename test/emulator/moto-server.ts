/**
 * Starts moto server from the project venv on a free loopback port and stops it again. It runs through
 * `moto_server.py`, which makes moto's DynamoDB requests atomic, as DynamoDB's are, and fixes moto's speed on deep
 * queues, without changing what it answers.
 *
 * The test suite's global setup calls {@link startMotoServer} once; every test file then talks to the same
 * server through `AWS_ENDPOINT_URL` and isolates itself with unique resource names (see `unique-name.ts`), so
 * files can run in parallel without resetting each other's state.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

export interface RunningEmulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the server and waits for the process to exit. */
  stop(): Promise<void>;
}

export const repoRoot = path.resolve(import.meta.dirname, '../..');
/** The project venv: `CELERIAC_VENV` when set, as `scripts/python-env.sh` reads it, else `.venv`. */
export const venvDir = (): string => process.env.CELERIAC_VENV || path.join(repoRoot, '.venv');
export const venvBin = (name: string): string => path.join(venvDir(), 'bin', name);

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers with any HTTP status, or throws after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`${child.spawnfile} exited with code ${child.exitCode} before answering on ${url}`);
    }
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`Nothing answered on ${url} within ${timeoutMs} ms`, { cause: lastError });
}

/** Stops a child process: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** moto's server with DynamoDB requests made atomic and a fix for its speed on deep queues (see moto_server.py). */
const MOTO_LAUNCHER = path.join(import.meta.dirname, 'moto_server.py');

export async function startMotoServer(): Promise<RunningEmulator> {
  const python = venvBin('python');
  if (!existsSync(venvBin('moto_server'))) {
    throw new Error(
      `moto_server not found at ${venvBin('moto_server')}; run \`bash scripts/python-env.sh\` (npm test does it for you)`,
    );
  }
  const port = await freePort();
  const child = spawn(python, [MOTO_LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'false' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${endpoint}/moto-api/data.json`, 30_000, child);
  } catch (error) {
    await stopProcess(child);
    throw new Error(`moto server did not start: ${stderr}`, { cause: error });
  }
  return { endpoint, port, stop: () => stopProcess(child) };
}
