/**
 * `runWorker` with a pool, in memory: the hard limit stops a task that never yields while the worker serves the
 * others, children are replaced on schedule with nothing lost, and a terminating revoke stops a running task in
 * every pool.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageOutcome } from '../../../../src/worker/message-outcome.js';
import type { PoolKind } from '../../../../src/worker/pool/pool.js';
import { type RunningWorker, runWorker, type WorkerOptions } from '../../../../src/worker/run-worker.js';
import { app, transport } from './pool-app.js';

const appModule = fileURLToPath(new URL('./pool-app.ts', import.meta.url));
let worker: RunningWorker | undefined;
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});

function start(pool: PoolKind, options: Partial<WorkerOptions> = {}) {
  const outcomes: MessageOutcome[] = [];
  const lines: string[] = [];
  worker = runWorker(app, {
    pool,
    appModule,
    concurrency: 2,
    waitTimeSeconds: 0,
    visibilityTimeoutSeconds: 2,
    shutdownTimeoutMs: 2000,
    log: (line) => lines.push(line),
    onOutcome: (outcome) => outcomes.push(outcome),
    ...options,
  });
  return { outcomes, lines };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

describe.each(['threads', 'processes'] as const)('runWorker --pool %s', (kind) => {
  it('terminates a task looping forever at its hard limit while serving the others, and goes on', async () => {
    const spin = await app.sendTask('tasks.spin-limited');
    const { outcomes } = start(kind);
    const during = await Promise.all(
      Array.from({ length: 4 }, (_, i) => app.sendTask<number>('tasks.add', [i, 10])),
    );
    expect(await Promise.all(during.map((r) => r.get({ timeoutMs: 20_000, intervalMs: 20 })))).toEqual([
      10, 11, 12, 13,
    ]);
    // The others finished while it still ran.
    expect(outcomes.map((o) => o.taskName)).toEqual(Array(4).fill('tasks.add'));
    await expect(spin.get({ timeoutMs: 20_000, intervalMs: 50 })).rejects.toMatchObject({
      name: 'TimeLimitExceeded',
    });
    const after = await app.sendTask<number>('tasks.add', [1, 2]);
    expect(await after.get({ timeoutMs: 20_000, intervalMs: 20 })).toBe(3);
    expect(outcomes.find((o) => o.taskId === spin.id)?.state).toBe('FAILURE');
  }, 60_000);

  it('--max-tasks-per-child 5 replaces children on schedule and loses no task', async () => {
    const { lines, outcomes } = start(kind, { concurrency: 1, maxTasksPerChild: 5 });
    const results = await app.sendTasks<{ pid: number; threadId: number }>(
      Array.from({ length: 20 }, () => ({ name: 'tasks.where' })),
    );
    const where = await Promise.all(results.map((r) => r.get({ timeoutMs: 40_000, intervalMs: 50 })));
    expect(where).toHaveLength(20);
    expect(new Set(where.map((w) => JSON.stringify(w))).size).toBe(4);
    expect(lines.filter((line) => /replacing .* \(5 tasks run\)/.test(line)).length).toBeGreaterThanOrEqual(
      3,
    );
    expect(outcomes.filter((o) => o.state === 'SUCCESS')).toHaveLength(20);
  }, 60_000);

  it('stops a running task revoked with terminate, stores REVOKED, and goes on', async () => {
    const { outcomes } = start(kind);
    const spin = await app.sendTask('tasks.spin-tracked');
    await until(async () => (await spin.state()) === 'STARTED');
    await app.revoke(spin.id, { terminate: true });
    await until(() => outcomes.some((o) => o.taskId === spin.id), 10_000);
    expect(outcomes.find((o) => o.taskId === spin.id)).toMatchObject({ state: 'REVOKED', action: 'delete' });
    expect(await spin.state()).toBe('REVOKED');
    await expect(spin.get({ timeoutMs: 1000 })).rejects.toMatchObject({ name: 'TaskRevokedError' });
    const after = await app.sendTask<number>('tasks.add', [2, 2]);
    expect(await after.get({ timeoutMs: 20_000, intervalMs: 20 })).toBe(4);
  }, 60_000);

  it('hands a task that outlasts the shutdown back to the queue, unrecorded, and ends its child', async () => {
    const { lines } = start(kind, { shutdownTimeoutMs: 200 });
    const spin = await app.sendTask('tasks.spin-tracked');
    await until(async () => (await spin.state()) === 'STARTED');
    await worker?.stop();
    expect(lines.join('\n')).toMatch(/handing 1 running task\(s\) back/);
    expect(await spin.state()).toBe('STARTED');
    // Back on the queue, visible at once, for the next worker.
    const [back] = await transport.broker.receive('memory://celery', {
      maxMessages: 1,
      waitTimeSeconds: 0,
      visibilityTimeoutSeconds: 30,
    });
    expect(back?.receiveCount).toBe(2);
    expect(Buffer.from(back?.body ?? '', 'base64').toString()).toContain(spin.id);
    await transport.broker.delete('memory://celery', [back?.receiptHandle ?? '']);
  }, 60_000);

  it('fails a task whose child exits with WorkerLostError, and goes on', async () => {
    start(kind);
    const lost = await app.sendTask('tasks.exit');
    // Stored as billiard's WorkerLostError, which the client rebuilds as celeriac's.
    await expect(lost.get({ timeoutMs: 20_000, intervalMs: 50 })).rejects.toMatchObject({
      name: 'WorkerLostError',
      message: 'Worker exited prematurely: exitcode 3.',
      exit: 'exitcode 3',
    });
    expect(await lost.info()).toMatchObject({
      exc_type: 'WorkerLostError',
      exc_module: 'billiard.exceptions',
    });
    const after = await app.sendTask<number>('tasks.add', [3, 3]);
    expect(await after.get({ timeoutMs: 20_000, intervalMs: 20 })).toBe(6);
  }, 60_000);
});

describe('runWorker --pool inline', () => {
  it('aborts the signal of a running task revoked with terminate, and stores REVOKED', async () => {
    const { outcomes } = start('inline');
    const waiting = await app.sendTask('tasks.wait-for-signal');
    await until(async () => (await waiting.state()) === 'STARTED');
    await app.revoke(waiting.id, { terminate: true });
    await until(() => outcomes.some((o) => o.taskId === waiting.id), 10_000);
    expect(outcomes.find((o) => o.taskId === waiting.id)?.state).toBe('REVOKED');
    expect(await waiting.state()).toBe('REVOKED');
  }, 30_000);

  it('lets a task revoked without terminate run to its end', async () => {
    const { outcomes, lines } = start('inline');
    const slow = await app.sendTask<number>('tasks.progress', [1]);
    await until(() => outcomes.some((o) => o.taskId === slow.id));
    expect(outcomes.find((o) => o.taskId === slow.id)?.state).toBe('SUCCESS');
    expect(lines.join('\n')).not.toMatch(/revoked/);
  }, 30_000);
});
