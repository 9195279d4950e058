/**
 * Installs the pinned MiniStack into a per-user cache the first time, and finds it there afterwards.
 *
 * The cache is one Python virtual environment per MiniStack version,
 * `${XDG_CACHE_HOME:-~/.cache}/celeriac/ministack-<version>`, created with a `python3` of 3.10 or later (`PYTHON`
 * names another). A stamp file written after `pip install` succeeded marks it complete, so an interrupted install
 * is started again rather than used. A lock file next to it makes a second process (another terminal, a parallel
 * test run) wait for the first one's install instead of racing it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { EmulatorError } from './local-errors.js';
import { MINISTACK_CONSTRAINTS, MINISTACK_VERSION } from './ministack-pins.js';

/** Options for {@link ensureEmulator}. */
export interface EnsureEmulatorOptions {
  /** The venv directory. Default {@link defaultEmulatorCacheDir}. */
  readonly cacheDir?: string;
  /** Called with each line of progress (pip's `Collecting ...` and `Successfully installed ...`, and ours). */
  readonly onProgress?: (line: string) => void;
  /** The Python to create the venv with. Default `PYTHON` from the environment, else `python3`. */
  readonly python?: string;
  /** Give up waiting for another process's install after this long. Default 10 minutes. */
  readonly lockTimeoutMs?: number;
}

/** An installed emulator. */
export interface InstalledEmulator {
  /** The `ministack` executable. */
  readonly bin: string;
  /** Its version. */
  readonly version: string;
}

const STAMP = '.celeriac-ministack';

/** `${XDG_CACHE_HOME:-~/.cache}/celeriac/ministack-<version>`. */
export function defaultEmulatorCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(cacheHome, 'celeriac', `ministack-${MINISTACK_VERSION}`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function isComplete(dir: string): boolean {
  const stamp = path.join(dir, STAMP);
  return existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === MINISTACK_VERSION;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the install lock, waiting while a live process holds it; a lock left by a dead process is taken over. */
async function acquireLock(
  lock: string,
  timeoutMs: number,
  onProgress: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(readFileSync(lock, 'utf8').trim());
    if (!Number.isInteger(holder) || holder <= 0 || !pidAlive(holder)) {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new EmulatorError(
        `Process ${holder} has been installing MiniStack for more than ${Math.round(timeoutMs / 1000)} s ` +
          `(lock ${lock}); wait for it, or stop it and delete the lock file.`,
      );
    }
    if (!told) onProgress(`waiting for process ${holder}, which is installing MiniStack`);
    told = true;
    await sleep(500);
  }
}

/** Runs a command, handing each output line to `onLine`; resolves with its exit code and last lines. */
async function run(
  command: string,
  args: readonly string[],
  onLine: (line: string) => void,
): Promise<{ exit: number | string; tail: string[] }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  const tail: string[] = [];
  const collect = (line: string): void => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
    onLine(line);
  };
  if (child.stdout) createInterface({ input: child.stdout }).on('line', collect);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', collect);
  const exit = await new Promise<number | string>((resolve) => {
    child.once('error', (error) => {
      tail.push(error.message);
      resolve((error as NodeJS.ErrnoException).code ?? 'error');
    });
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return { exit, tail };
}

async function checkPython(python: string): Promise<void> {
  const { exit, tail } = await run(
    python,
    ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 3)'],
    () => {},
  );
  if (exit === 0) return;
  const why = exit === 3 ? 'it is older than 3.10' : `it did not run (${exit}: ${tail.join(' ').trim()})`;
  throw new EmulatorError(
    `The local emulator (MiniStack) needs Python 3.10 or later as \`${python}\`, but ${why}. Install ` +
      'Python 3.10+ (with its venv module), or set PYTHON=/path/to/python3.',
  );
}

/** Clears what an interrupted install left; refuses to touch a directory that is not a venv. */
function clearPartialInstall(dir: string): void {
  if (!existsSync(dir)) return;
  if (readdirSync(dir).length > 0 && !existsSync(path.join(dir, 'pyvenv.cfg'))) {
    throw new EmulatorError(
      `${dir} is not empty and is not a Python venv; celeriac installs MiniStack only into an empty or missing ` +
        'directory. Choose another cacheDir, or empty it.',
    );
  }
  rmSync(dir, { recursive: true, force: true });
}

async function install(dir: string, python: string, onProgress: (line: string) => void): Promise<void> {
  await checkPython(python);
  clearPartialInstall(dir);
  onProgress(`installing MiniStack ${MINISTACK_VERSION} into ${dir} (once; about a minute)`);
  const venv = await run(python, ['-m', 'venv', dir], onProgress);
  if (venv.exit !== 0) {
    throw new EmulatorError(
      `\`${python} -m venv ${dir}\` failed (${venv.exit}); install Python's venv module ` +
        `(Debian/Ubuntu: apt-get install python3-venv). Its last lines:\n${venv.tail.join('\n')}`,
    );
  }
  const constraints = path.join(dir, 'constraints.txt');
  writeFileSync(constraints, `${MINISTACK_CONSTRAINTS.join('\n')}\n`);
  const pip = await run(
    path.join(dir, 'bin', 'python'),
    [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--progress-bar',
      'off',
      '--constraint',
      constraints,
      `ministack==${MINISTACK_VERSION}`,
    ],
    (line) => {
      if (/^(Collecting|Downloading|Successfully installed|ERROR)/.test(line.trim())) onProgress(line.trim());
    },
  );
  if (pip.exit !== 0) {
    throw new EmulatorError(
      `pip could not install MiniStack ${MINISTACK_VERSION} into ${dir} (${pip.exit}); check the network ` +
        `access to the Python package index (pip's proxy and index settings apply). pip's last lines:\n` +
        pip.tail.join('\n'),
    );
  }
  writeFileSync(path.join(dir, STAMP), `${MINISTACK_VERSION}\n`);
  onProgress(`MiniStack ${MINISTACK_VERSION} installed`);
}

/**
 * Returns the pinned MiniStack, installing it into the cache first when it is not there yet.
 *
 * @example
 * const { bin } = await ensureEmulator({ onProgress: (line) => console.error(line) });
 */
export async function ensureEmulator(options: EnsureEmulatorOptions = {}): Promise<InstalledEmulator> {
  const dir = options.cacheDir ?? defaultEmulatorCacheDir();
  const onProgress = options.onProgress ?? (() => {});
  const result = { bin: path.join(dir, 'bin', 'ministack'), version: MINISTACK_VERSION };
  if (isComplete(dir)) return result;
  mkdirSync(path.dirname(dir), { recursive: true });
  const lock = `${dir}.lock`;
  await acquireLock(lock, options.lockTimeoutMs ?? 600_000, onProgress);
  try {
    // Another process may have finished the install while this one waited for the lock.
    if (!isComplete(dir)) await install(dir, options.python ?? (process.env.PYTHON || 'python3'), onProgress);
  } finally {
    rmSync(lock, { force: true });
  }
  return result;
}
