/**
 * Stopping a process together with the processes it started. MiniStack runs each Lambda function in a child
 * process of its own; started as the leader of a new process group, it and all those children are stopped with
 * one signal to the group.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * The live (not zombie) processes of process group `pgid`, from `/proc`; `undefined` where there is no `/proc`
 * (macOS).
 */
export function processesInGroup(pgid: number): number[] | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After the command name (in parentheses, and it may hold spaces): state ppid pgrp ...
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') pids.push(Number(entry));
    } catch {
      // The process ended while being read.
    }
  }
  return pids;
}

/**
 * True while any process of the group led by `pid` is alive. A zombie (exited, not yet reaped by its parent)
 * does not count: it runs nothing and holds no port.
 */
export function groupAlive(pid: number): boolean {
  const members = processesInGroup(pid);
  if (members !== undefined) return members.length > 0;
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Sends SIGTERM to the process group led by `pid`, waits up to `graceMs` for every member to exit, then sends
 * SIGKILL to what is left. Resolves once the group is gone (or, after SIGKILL, after one more second).
 */
export async function stopProcessGroup(pid: number, graceMs = 10_000): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  const wait = async (ms: number): Promise<void> => {
    const deadline = Date.now() + ms;
    while (groupAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  };
  await wait(graceMs);
  if (!groupAlive(pid)) return;
  signalGroup(pid, 'SIGKILL');
  await wait(1000);
}

/** SIGKILL to the whole group, synchronously: for `process.on('exit')`, where nothing asynchronous runs. */
export function killProcessGroupNow(pid: number): void {
  signalGroup(pid, 'SIGKILL');
}
