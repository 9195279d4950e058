/**
 * The threads and processes pools, through `runTask` as the worker core calls it: the function runs in a
 * sandbox that loaded the app module itself, with the same context and the same endings as inline.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Retry, TimeLimitExceeded, WorkerLostError, WorkerShutdown } from '../../../../src/errors.js';
import { toExceptionInfo } from '../../../../src/exception-table.js';
import { CalendarDate, Decimal, TimeOfDay, Uuid } from '../../../../src/protocol/type-tags.js';
import type { TaskContext, TaskFunction } from '../../../../src/task.js';
import { createPool } from '../../../../src/worker/pool/create-pool.js';
import type { Pool, PoolKind } from '../../../../src/worker/pool/pool.js';
import { type RunLimits, runTask } from '../../../../src/worker/run-task.js';
import { app, PaymentDeclined } from './pool-app.js';

const appModule = fileURLToPath(new URL('./pool-app.ts', import.meta.url));
const pools: Pool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
});

async function startPool(kind: PoolKind, extra: Partial<Parameters<typeof createPool>[0]> = {}) {
  const lines: string[] = [];
  const pool = createPool({ kind, size: 1, appModule, log: (line) => lines.push(line), ...extra });
  pools.push(pool);
  await pool.start();
  return { pool, lines };
}

interface Call {
  readonly args?: unknown[];
  readonly kwargs?: Record<string, unknown>;
  readonly limits?: RunLimits;
  readonly abort?: AbortController;
  readonly updates?: [string, unknown][];
}

function call(pool: Pool, name: string, options: Call = {}) {
  const abort = options.abort ?? new AbortController();
  const context: TaskContext = {
    taskId: `id-${name}-${Math.random()}`,
    name,
    retries: 0,
    args: options.args ?? [],
    kwargs: options.kwargs ?? {},
    signal: abort.signal,
    queue: 'celery',
    rootId: null,
    parentId: null,
    groupId: null,
    hostname: 'celeriac@test',
    updateState: async (state, meta) => {
      options.updates?.push([state, meta]);
    },
    retry: (retry) => {
      throw Retry.with(retry);
    },
  };
  const task = app.getTask(name);
  return runTask(task?.fn as TaskFunction<unknown[], unknown>, context, abort, options.limits ?? {}, {
    pool,
    ...(task?.options.autoretryFor ? { autoretryFor: task.options.autoretryFor } : {}),
  });
}

describe.each(['threads', 'processes'] as const)('the %s pool', (kind) => {
  it('runs the function in a sandbox that loaded the app module, with kombu types both ways', async () => {
    const { pool } = await startPool(kind);
    const when = new Date(Date.UTC(2026, 11, 1, 10, 20, 30, 456));
    const args = [
      when,
      new Decimal('1.10'),
      new Uuid('5f0b4b1e-3c1a-4c2e-9d6b-7c0e2a1f9b3d'),
      new CalendarDate('2026-12-01'),
      new TimeOfDay('10:20:30.000006'),
      new Uint8Array([0, 255, 7]),
    ];
    const result = await call(pool, 'tasks.types', {
      args,
      kwargs: { price: new Decimal('9.99'), at: when },
    });
    expect(result.kind).toBe('success');
    const value = (result as { value: Record<string, unknown> }).value;
    expect(value.argKinds).toEqual(['Date', 'Decimal', 'Uuid', 'CalendarDate', 'TimeOfDay', 'bytes']);
    expect(value.kwargKinds).toEqual(['Decimal', 'Date']);
    expect(value.echo).toEqual([args, { price: new Decimal('9.99'), at: when }]);
    expect((value.echo as unknown[][])[0]?.[1]).toBeInstanceOf(Decimal);
    expect(await call(pool, 'tasks.where')).not.toEqual(
      expect.objectContaining({ value: { pid: process.pid, threadId: 0 } }),
    );
  });

  it('sends updateState to the worker, which does the write, and waits for it', async () => {
    const { pool } = await startPool(kind);
    const updates: [string, unknown][] = [];
    const result = await call(pool, 'tasks.progress', { args: [2], updates });
    expect(result).toEqual({ kind: 'success', value: 2 });
    expect(updates).toEqual([
      ['PROGRESS', { step: 1, of: 2, at: new Date(Date.UTC(2026, 0, 1)) }],
      ['PROGRESS', { step: 2, of: 2, at: new Date(Date.UTC(2026, 0, 2)) }],
    ]);
  });

  it('carries retry() back with its options and its cause, and errors with their stored shape', async () => {
    const { pool } = await startPool(kind);
    const retried = await call(pool, 'tasks.retry', { args: ['2.50'] });
    expect(retried.kind).toBe('retry');
    const retry = (retried as { retry: Retry }).retry;
    expect(retry).toBeInstanceOf(Retry);
    expect(retry.options.countdown).toBe(7);
    expect(retry.options.maxRetries).toBe(5);
    expect(toExceptionInfo(retry.options.exc)).toEqual({
      exc_type: 'PaymentDeclined',
      exc_module: 'shop.errors',
      exc_message: ['declined 2.50', new Decimal('2.50')],
    });

    const failed = await call(pool, 'tasks.declined', { args: ['3.00'] });
    expect(failed.kind).toBe('failure');
    const error = (failed as { error: Error }).error;
    expect(error.name).toBe('PaymentDeclined');
    expect(error.message).toBe('declined 3.00');
    expect(error.stack).toMatch(/PaymentDeclined: declined 3\.00\n\s+at /);
    expect(error.stack).toContain('pool-app.ts');
    expect(toExceptionInfo(error)).toEqual(toExceptionInfo(new PaymentDeclined(new Decimal('3.00'))));
  });

  it('keeps Ignore and a requeueing Reject', async () => {
    const { pool } = await startPool(kind);
    expect(await call(pool, 'tasks.ignore')).toEqual({ kind: 'ignore' });
    const rejected = await call(pool, 'tasks.requeue');
    expect(rejected).toMatchObject({
      kind: 'reject',
      reject: { name: 'Reject', message: 'not now', requeue: true },
    });
  });

  it('rebuilds an autoretryFor error as its class, so the worker retries it', async () => {
    const { pool } = await startPool(kind);
    const result = await call(pool, 'tasks.flaky');
    expect(result.kind).toBe('failure');
    expect((result as { error: unknown }).error).toBeInstanceOf(PaymentDeclined);
  });

  it('fails a result that cannot cross the boundary, with the reason', async () => {
    const { pool } = await startPool(kind);
    const result = await call(pool, 'tasks.function-result');
    expect(result.kind).toBe('failure');
    expect(String((result as { error: Error }).error.message)).toMatch(
      /result cannot cross to the worker: .*function/,
    );
  });

  it('aborts the sandboxed signal with the worker reason, and the run ends with that very reason', async () => {
    const { pool } = await startPool(kind);
    const abort = new AbortController();
    const running = call(pool, 'tasks.watch-signal', { abort });
    setTimeout(() => abort.abort(new WorkerShutdown()), 300);
    const result = await running;
    expect(result).toEqual({ kind: 'failure', error: abort.signal.reason });
  });

  it('aborts the signal at the soft limit first: a task that watches it fails with SoftTimeLimitExceeded', async () => {
    const { pool } = await startPool(kind);
    const result = await call(pool, 'tasks.watch-signal', {
      limits: { softTimeLimitSeconds: 0.3, timeLimitSeconds: 5 },
    });
    expect(result.kind).toBe('failure');
    expect((result as { error: Error }).error.name).toBe('SoftTimeLimitExceeded');
  });

  it('terminates an infinite loop at the hard limit, replaces the sandbox and goes on', async () => {
    const { pool, lines } = await startPool(kind);
    const before = await call(pool, 'tasks.where');
    const started = Date.now();
    const result = await call(pool, 'tasks.spin', { limits: { timeLimitSeconds: 0.5 } });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result.kind).toBe('failure');
    expect((result as { error: unknown }).error).toBeInstanceOf(TimeLimitExceeded);
    expect(await call(pool, 'tasks.add', { args: [2, 3] })).toEqual({ kind: 'success', value: 5 });
    const after = await call(pool, 'tasks.where');
    expect(after).not.toEqual(before);
    expect(lines.join('\n')).toMatch(/replacing .* \(terminated\)/);
  });

  it('fails the task of a sandbox that exits with WorkerLostError, and serves the next one', async () => {
    const { pool } = await startPool(kind);
    const result = await call(pool, 'tasks.exit');
    expect(result.kind).toBe('failure');
    const error = (result as { error: unknown }).error;
    expect(error).toBeInstanceOf(WorkerLostError);
    expect(toExceptionInfo(error)).toEqual({
      exc_type: 'WorkerLostError',
      exc_module: 'billiard.exceptions',
      exc_message: ['Worker exited prematurely: exitcode 3.'],
    });
    expect(await call(pool, 'tasks.add', { args: [1, 1] })).toEqual({ kind: 'success', value: 2 });
  });

  it('with rejectOnWorkerLost, asks for redelivery instead', async () => {
    const { pool } = await startPool(kind, { rejectOnWorkerLost: true });
    const result = await call(pool, 'tasks.exit');
    expect(result.kind).toBe('reject');
    expect((result as { reject: { requeue: boolean } }).reject.requeue).toBe(true);
  });

  it('replaces the sandbox after maxTasksPerChild tasks', async () => {
    const { pool, lines } = await startPool(kind, { maxTasksPerChild: 2 });
    const where: unknown[] = [];
    for (let i = 0; i < 6; i++) where.push(((await call(pool, 'tasks.where')) as { value: unknown }).value);
    expect(new Set(where.map((w) => JSON.stringify(w))).size).toBe(3);
    expect(where[0]).toEqual(where[1]);
    expect(where[1]).not.toEqual(where[2]);
    expect(lines.filter((line) => /replacing .* \(2 tasks run\)/.test(line))).toHaveLength(3);
  });

  it('replaces a sandbox whose memory passes maxMemoryPerChildKiB after a task', async () => {
    const { pool: probe } = await startPool(kind);
    const baseline = ((await call(probe, 'tasks.memory')) as { value: number }).value;
    const limit = baseline + 32 * 1024;
    const { pool, lines } = await startPool(kind, { maxMemoryPerChildKiB: limit });
    const first = await call(pool, 'tasks.where');
    expect(await call(pool, 'tasks.where')).toEqual(first);
    expect(await call(pool, 'tasks.leak', { args: [64] })).toEqual({ kind: 'success', value: 1 });
    const replaced = lines.find((line) => /replacing .* KiB > \d+ KiB\)/.test(line));
    expect(replaced).toContain(`> ${limit} KiB`);
    expect(await call(pool, 'tasks.where')).not.toEqual(first);
  });
});

describe.each(['threads', 'processes'] as const)('the autoscaled %s pool', (kind) => {
  it('grows with the work up to its size and shrinks back to its minimum when idle', async () => {
    const { pool, lines } = await startPool(kind, { size: 3, minSize: 1, idleMs: 1000 });
    const sandboxes = pool as unknown as { alive: number };
    expect(sandboxes.alive).toBe(1);
    const abort = new AbortController();
    const running = [1, 2, 3].map(() => call(pool, 'tasks.watch-signal', { abort }));
    expect(sandboxes.alive).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 500));
    abort.abort(new WorkerShutdown());
    expect((await Promise.all(running)).map((result) => result.kind)).toEqual([
      'failure',
      'failure',
      'failure',
    ]);
    for (let i = 0; i < 100 && sandboxes.alive > 1; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sandboxes.alive).toBe(1);
    expect(lines.filter((line) => /retiring idle/.test(line))).toHaveLength(2);
    expect(await call(pool, 'tasks.add', { args: [4, 4] })).toEqual({ kind: 'success', value: 8 });
  });
});

describe('pool options', () => {
  it('refuses sizes and limits below 1, and a sandboxed pool without an app module', () => {
    expect(() => createPool({ kind: 'threads', size: 0, appModule })).toThrow(
      /`concurrency` to be an integer >= 1/,
    );
    expect(() => createPool({ kind: 'processes', size: 1, appModule, maxMemoryPerChildKiB: -1 })).toThrow(
      /`maxMemoryPerChildKiB` to be an integer >= 1, got -1/,
    );
    expect(() => createPool({ kind: 'processes', size: 1 })).toThrow(/appModule/);
    expect(() => createPool({ kind: 'threads', size: 2, minSize: 3, appModule })).toThrow(
      /`minSize` to be at most the pool's size \(2\), got 3/,
    );
  });

  it.each(['threads', 'processes'] as const)(
    '%s: an app module that cannot load fails start, naming it',
    async (kind) => {
      const pool = createPool({ kind, size: 2, appModule: '/nonexistent/app.js' });
      pools.push(pool);
      await expect(pool.start()).rejects.toThrow(
        /cannot load the app module \/nonexistent\/app\.js: Cannot load/,
      );
    },
  );
});
