/**
 * `npx tsx bench/pool-overhead.ts`: what each worker pool costs, against inline measured in the same run.
 *
 * 1. Overhead per trivial task: `bench.noop` called through `runTask` one after another, BENCH_POOL_CALLS times
 *    per pool (after a warm-up), on one thread or process: milliseconds per task, and the difference to inline.
 *    The `threads` figure is also the cost per task of the Lambda handler's thread mode (`createSqsHandler(app,
 *    { pool })`), which calls the same pool.
 * 2. CPU-bound throughput: BENCH_POOL_CPU_TASKS `bench.hash` tasks (fixed work, about 50 ms each on an idle
 *    core) drained by `runWorker` on the in-memory transport, `inline -c 2` against `processes -c 2` and
 *    `threads -c 2`: wall time and the speed-up over inline (on 2 free cores, close to 2×).
 *
 * Settings (environment): BENCH_POOL_CALLS (500), BENCH_POOL_CPU_TASKS (40).
 */
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Retry } from '../src/errors.js';
import type { TaskContext, TaskFunction } from '../src/task.js';
import { createPool } from '../src/worker/pool/create-pool.js';
import type { Pool, PoolKind } from '../src/worker/pool/pool.js';
import { runTask } from '../src/worker/run-task.js';
import { runWorker } from '../src/worker/run-worker.js';
import { app, hashRounds } from './pool-bench-app.js';

const appModule = fileURLToPath(new URL('./pool-bench-app.ts', import.meta.url));
const setting = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const CALLS = setting('BENCH_POOL_CALLS', 500);
const CPU_TASKS = setting('BENCH_POOL_CPU_TASKS', 40);
const KINDS: readonly PoolKind[] = ['inline', 'threads', 'processes'];

function context(name: string, args: unknown[]): TaskContext {
  return {
    taskId: 'bench',
    name,
    retries: 0,
    args,
    kwargs: {},
    signal: new AbortController().signal,
    queue: 'celery',
    rootId: null,
    parentId: null,
    groupId: null,
    hostname: 'bench',
    updateState: async () => undefined,
    retry: (options) => {
      throw Retry.with(options);
    },
  };
}

async function perTaskMs(pool: Pool): Promise<number> {
  const fn = app.getTask('bench.noop')?.fn as TaskFunction<unknown[], unknown>;
  const call = (i: number) => runTask(fn, context('bench.noop', [i]), new AbortController(), {}, { pool });
  for (let i = 0; i < 50; i++) await call(i);
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) await call(i);
  return (performance.now() - started) / CALLS;
}

async function drainMs(kind: PoolKind, rounds: number): Promise<number> {
  const results = await app.sendTasks(
    Array.from({ length: CPU_TASKS }, () => ({ name: 'bench.hash', args: [rounds] })),
  );
  let done = 0;
  let started = 0;
  const finished = new Promise<void>((resolve) => {
    const worker = runWorker(app, {
      pool: kind,
      appModule,
      concurrency: 2,
      waitTimeSeconds: 0,
      log: (line) => {
        if (line.includes('consuming')) started = performance.now();
      },
      onOutcome: () => {
        if (++done === CPU_TASKS) void worker.stop().then(resolve);
      },
    });
  });
  await finished;
  const elapsed = performance.now() - started;
  for (const result of results) await result.get({ timeoutMs: 1000 });
  return elapsed;
}

function calibrate(): number {
  let rounds = 1000;
  for (;;) {
    const started = performance.now();
    hashRounds(rounds);
    const ms = performance.now() - started;
    if (ms > 20) return Math.round((rounds * 50) / ms);
    rounds *= 2;
  }
}

console.log(`pool overhead (${cpus().length} cores, ${CALLS} calls per pool)`);
const overhead: Record<string, number> = {};
for (const kind of KINDS) {
  const pool = createPool({ kind, size: 1, appModule });
  await pool.start();
  overhead[kind] = await perTaskMs(pool);
  await pool.close();
}
const inline = overhead.inline ?? 0;
for (const kind of KINDS) {
  const ms = overhead[kind] ?? 0;
  console.log(
    `  ${kind.padEnd(9)} ${ms.toFixed(3)} ms/task${kind === 'inline' ? '' : `  (+${(ms - inline).toFixed(3)} ms over inline, ${(ms / inline).toFixed(0)}×)`}`,
  );
}

const rounds = calibrate();
console.log(`\nCPU-bound: ${CPU_TASKS} tasks of ${rounds} SHA-256 rounds (~50 ms each), concurrency 2`);
const wall: Record<string, number> = {};
for (const kind of KINDS) {
  wall[kind] = await drainMs(kind, rounds);
  await sleep(200);
}
for (const kind of KINDS) {
  const ms = wall[kind] ?? 0;
  console.log(
    `  ${kind.padEnd(9)} ${(ms / 1000).toFixed(2)} s${kind === 'inline' ? '' : `  speed-up over inline ${((wall.inline ?? 0) / ms).toFixed(2)}×`}`,
  );
}
