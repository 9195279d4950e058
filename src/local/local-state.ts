/**
 * What `celeriac local` keeps in a project, all under `<project>/.celeriac/local/` (a directory to keep out of
 * git): the record of the emulator it started, the emulator's and the CDK CLI's logs, the cloud assembly, the
 * stack outputs and the client's environment.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { EmulatorError } from './local-errors.js';
import { groupAlive } from './process-group.js';

/** The files of the local stack of the project in `projectDir`. */
export interface LocalStateFiles {
  /** `<project>/.celeriac/local`. */
  readonly dir: string;
  /** The record of the running emulator ({@link EmulatorRecord}). */
  readonly record: string;
  /** The emulator's output: each Lambda invocation and what the function printed. */
  readonly emulatorLog: string;
  /** The CDK CLI's output. */
  readonly cdkLog: string;
  /** The cloud assembly (`cdk --output`). */
  readonly assembly: string;
  /** The deployed stacks' outputs (`cdk deploy --outputs-file`). */
  readonly outputs: string;
  /** The client's environment (dotenv). */
  readonly env: string;
  /** The names of the stacks deployed (JSON array). */
  readonly stacks: string;
}

/**
 * The files of the local stack of the project in `projectDir`, under `stateDir` when given (a test's stack kept
 * apart from the one a developer runs).
 */
export function localStateFiles(projectDir: string, stateDir?: string): LocalStateFiles {
  const dir =
    stateDir === undefined
      ? path.join(path.resolve(projectDir), '.celeriac', 'local')
      : path.resolve(stateDir);
  return {
    dir,
    record: path.join(dir, 'emulator.json'),
    emulatorLog: path.join(dir, 'emulator.log'),
    cdkLog: path.join(dir, 'cdk.log'),
    assembly: path.join(dir, 'cdk.out'),
    outputs: path.join(dir, 'outputs.json'),
    env: path.join(dir, 'env'),
    stacks: path.join(dir, 'stacks.json'),
  };
}

/** What `celeriac local up` records about the emulator it started. */
export interface EmulatorRecord {
  /** The emulator's process id, the leader of the process group its Lambda processes run in. */
  readonly pid: number;
  readonly port: number;
  readonly endpoint: string;
  readonly version: string;
  /** The emulator's `TMPDIR`, removed when it stops. */
  readonly tempDir: string;
  /** ISO 8601. */
  readonly startedAt: string;
}

/** The stacks the last deploy recorded (none before a deploy). */
export function readDeployedStacks(files: LocalStateFiles): string[] {
  if (!existsSync(files.stacks)) return [];
  try {
    const stacks = JSON.parse(readFileSync(files.stacks, 'utf8')) as unknown;
    return Array.isArray(stacks) ? stacks.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}

/** Creates the state directory. */
export function ensureStateDir(files: LocalStateFiles): void {
  mkdirSync(files.dir, { recursive: true });
}

/** The record, or `undefined` when there is none (or it is unreadable or incomplete). */
export function readRecord(files: LocalStateFiles): EmulatorRecord | undefined {
  if (!existsSync(files.record)) return undefined;
  try {
    const record = JSON.parse(readFileSync(files.record, 'utf8')) as Partial<EmulatorRecord> | null;
    // A record some other tool or an older version wrote counts as none, so the next command replaces it.
    if (
      typeof record !== 'object' ||
      record === null ||
      !Number.isInteger(record.pid) ||
      (record.pid as number) < 1 ||
      !Number.isInteger(record.port) ||
      typeof record.endpoint !== 'string' ||
      typeof record.tempDir !== 'string' ||
      record.tempDir === ''
    ) {
      return undefined;
    }
    return record as EmulatorRecord;
  } catch {
    return undefined;
  }
}

/** Writes the record. */
export function writeRecord(files: LocalStateFiles, record: EmulatorRecord): void {
  ensureStateDir(files);
  writeFileSync(files.record, `${JSON.stringify(record, null, 2)}\n`);
}

/** True when `pid` is a running emulator (not a process that reused the id). */
export function isEmulatorProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('ministack');
  } catch {
    // No /proc (macOS): trust the record while the process group lives.
    return existsSync('/proc/self') ? false : groupAlive(pid);
  }
}

/**
 * Forgets a stopped emulator: its record and temporary directory, and what pointed at its (in-memory, now gone)
 * resources: the outputs, the client's environment and the cloud assembly. The logs stay for reading.
 */
export function forgetEmulator(files: LocalStateFiles, record: EmulatorRecord | undefined): void {
  if (record !== undefined) rmSync(record.tempDir, { recursive: true, force: true });
  for (const file of [files.record, files.outputs, files.env, files.stacks, files.assembly]) {
    rmSync(file, { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock file: `undefined` when taken, else the pid of the live process that holds it, or 0 while it
 * is being written or was just released. A lock whose process is gone is removed, to be taken at the next try.
 */
function tryLock(lock: string): number | undefined {
  try {
    const fd = openSync(lock, 'wx');
    writeFileSync(fd, String(process.pid));
    closeSync(fd);
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let text: string;
  let seen: { ino: number; mtimeMs: number };
  try {
    seen = statSync(lock);
    text = readFileSync(lock, 'utf8');
  } catch {
    return 0; // Released in between.
  }
  const holder = Number(text);
  const ageMs = Date.now() - seen.mtimeMs;
  if (text === '' ? ageMs < 5000 : Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
    return text === '' ? 0 : holder;
  }
  // Removed only if it is still the file judged stale: another process that found it stale too may have
  // removed it and taken a lock of its own since, which must stay.
  try {
    const now = statSync(lock);
    if (now.ino === seen.ino && now.mtimeMs === seen.mtimeMs) rmSync(lock, { force: true });
  } catch {
    // Gone already.
  }
  return 0;
}

/**
 * Runs `fn` while this process holds the state directory's lock (`<dir>/up.lock`, holding its pid), so two
 * `celeriac local up` started together do not both start an emulator and remove each other's record: the
 * second waits, then finds the first's emulator running. A lock whose process is gone is taken over.
 */
export async function withStateLock<T>(
  files: LocalStateFiles,
  fn: () => Promise<T>,
  options: { readonly timeoutMs?: number } = {},
): Promise<T> {
  ensureStateDir(files);
  const lock = path.join(files.dir, 'up.lock');
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const holder = tryLock(lock);
    if (holder === undefined) break;
    if (Date.now() > deadline) {
      throw new EmulatorError(
        `Another process${holder > 0 ? ` (pid ${holder})` : ''} is still starting this project's emulator ` +
          `(lock ${lock}); wait for it, or stop it and run again.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, holder === 0 ? 50 : 200));
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}
