/** The state directory's lock on the real file system: taken over from a dead holder, waited for while live. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureStateDir, localStateFiles, withStateLock } from '../../../src/local/local-state.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function stateFiles() {
  const dir = mkdtempSync(path.join(tmpdir(), 'celeriac-lock-'));
  dirs.push(dir);
  const files = localStateFiles(dir);
  ensureStateDir(files);
  return { files, lock: path.join(files.dir, 'up.lock') };
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('withStateLock', () => {
  it('holds the lock with its pid while the function runs, and removes it after', async () => {
    const { files, lock } = stateFiles();
    const seen = await withStateLock(files, async () => readFileSync(lock, 'utf8'));
    expect(seen).toBe(String(process.pid));
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over a lock whose process is gone', async () => {
    const { files, lock } = stateFiles();
    writeFileSync(lock, String(deadPid()));
    expect(await withStateLock(files, async () => readFileSync(lock, 'utf8'), { timeoutMs: 2000 })).toBe(
      String(process.pid),
    );
  });

  it('waits for a live holder, then says which process holds it', async () => {
    const { files, lock } = stateFiles();
    writeFileSync(lock, String(process.ppid));
    await expect(withStateLock(files, async () => 1, { timeoutMs: 300 })).rejects.toThrow(
      `Another process (pid ${process.ppid}) is still starting this project's emulator`,
    );
    expect(readFileSync(lock, 'utf8')).toBe(String(process.ppid));
  });

  it('lets two takers of one stale lock run one after the other, never together', async () => {
    const { files, lock } = stateFiles();
    writeFileSync(lock, String(deadPid()));
    let inside = 0;
    let most = 0;
    const take = () =>
      withStateLock(
        files,
        async () => {
          inside += 1;
          most = Math.max(most, inside);
          await new Promise((resolve) => setTimeout(resolve, 100));
          inside -= 1;
        },
        { timeoutMs: 5000 },
      );
    await Promise.all([take(), take(), take()]);
    expect(most).toBe(1);
  });
});
