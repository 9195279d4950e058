import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultEmulatorCacheDir, ensureEmulator } from '../../../src/local/ensure-emulator.js';
import { EmulatorError } from '../../../src/local/local-errors.js';
import { MINISTACK_VERSION } from '../../../src/local/ministack-pins.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'celeriac-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in for python3 that exits with `code` (3: the version check's "too old"). */
function fakePython(code: number): string {
  const file = path.join(dir, 'python');
  writeFileSync(file, `#!/bin/sh\nexit ${code}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('ensureEmulator', () => {
  it('caches under XDG_CACHE_HOME (else ~/.cache), one directory per MiniStack version', () => {
    expect(defaultEmulatorCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe(
      `/x/cache/celeriac/ministack-${MINISTACK_VERSION}`,
    );
    expect(defaultEmulatorCacheDir({})).toMatch(
      new RegExp(`/\\.cache/celeriac/ministack-${MINISTACK_VERSION}$`),
    );
  });

  it('reuses a finished install without running Python', async () => {
    const cacheDir = path.join(dir, 'ministack');
    mkdirSync(cacheDir);
    writeFileSync(path.join(cacheDir, '.celeriac-ministack'), `${MINISTACK_VERSION}\n`);
    const progress: string[] = [];
    const installed = await ensureEmulator({
      cacheDir,
      python: path.join(dir, 'no-such-python'),
      onProgress: (line) => progress.push(line),
    });
    expect(installed).toEqual({ bin: path.join(cacheDir, 'bin', 'ministack'), version: MINISTACK_VERSION });
    expect(progress).toEqual([]);
  });

  it('refuses a Python older than 3.10 and says how to point at another', async () => {
    const error = await ensureEmulator({
      cacheDir: path.join(dir, 'ministack'),
      python: fakePython(3),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmulatorError);
    expect((error as Error).message).toMatch(
      /needs Python 3\.10 or later .* it is older than 3\.10.*PYTHON=/s,
    );
  });

  it('says so when there is no Python at all', async () => {
    const python = path.join(dir, 'no-such-python');
    const error = await ensureEmulator({ cacheDir: path.join(dir, 'ministack'), python }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toContain(`as \`${python}\`, but it did not run (ENOENT`);
  });

  it('refuses to install into a directory that holds something other than a venv, and leaves it as it was', async () => {
    const cacheDir = path.join(dir, 'important');
    mkdirSync(cacheDir);
    writeFileSync(path.join(cacheDir, 'notes.txt'), 'keep me');
    const error = await ensureEmulator({ cacheDir, python: fakePython(0) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmulatorError);
    expect((error as Error).message).toContain(`${cacheDir} is not empty and is not a Python venv`);
    expect(existsSync(path.join(cacheDir, 'notes.txt'))).toBe(true);
  });

  it('takes over the lock a dead process left, and releases it when done', async () => {
    const cacheDir = path.join(dir, 'ministack');
    const dead = spawnSync('true').pid ?? 0; // A process id that has exited.
    writeFileSync(`${cacheDir}.lock`, String(dead));
    const error = await ensureEmulator({ cacheDir, python: fakePython(3), lockTimeoutMs: 1000 }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toContain('older than 3.10'); // It went on to install instead of waiting.
    expect(existsSync(`${cacheDir}.lock`)).toBe(false);
  });

  it('waits for a live process that holds the lock, and gives up after the timeout', async () => {
    const cacheDir = path.join(dir, 'ministack');
    writeFileSync(`${cacheDir}.lock`, String(process.pid));
    const progress: string[] = [];
    const error = await ensureEmulator({
      cacheDir,
      python: fakePython(0),
      lockTimeoutMs: 300,
      onProgress: (line) => progress.push(line),
    }).catch((e: unknown) => e);
    expect(progress).toEqual([`waiting for process ${process.pid}, which is installing MiniStack`]);
    expect((error as Error).message).toContain(`Process ${process.pid} has been installing MiniStack`);
    expect(existsSync(`${cacheDir}.lock`)).toBe(true); // Not ours to remove.
  });
});
