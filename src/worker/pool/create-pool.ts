/** Builds the pool `celeriac worker --pool` names. */
import { InvalidOptionError } from '../../errors.js';
import { InlinePool } from './inline-pool.js';
import { type Pool, PoolKind } from './pool.js';
import { SandboxPool } from './sandbox-pool.js';
import { spawnProcess, spawnThread } from './spawn-sandbox.js';

/** Options of {@link createPool}. */
export interface CreatePoolOptions {
  readonly kind: PoolKind;
  /** Tasks at once: the number of threads or processes. */
  readonly size: number;
  /** The app module each sandbox loads (required for `threads` and `processes`). */
  readonly appModule?: string;
  /** A sandbox entry point other than celeriac's own (tests). */
  readonly entry?: URL;
  readonly maxTasksPerChild?: number;
  readonly maxMemoryPerChildKiB?: number;
  /** Autoscaling: the fewest threads or processes kept (`size` is the most). Default: `size`. */
  readonly minSize?: number;
  /** Autoscaling: how long one beyond `minSize` may stay idle. Default 30 000 ms. */
  readonly idleMs?: number;
  readonly rejectOnWorkerLost?: boolean;
  readonly log?: (line: string) => void;
}

function positiveInteger(option: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1) {
    throw InvalidOptionError.expected(option, 'an integer >= 1', value);
  }
}

/**
 * A pool of `kind`, checked first: limits (and a sandboxed pool's size) are integers >= 1, and a sandboxed pool
 * knows the app module its sandboxes load.
 *
 * @example
 * const pool = createPool({ kind: 'processes', size: 2, appModule: './dist/app.js', maxTasksPerChild: 100 });
 */
export function createPool(options: CreatePoolOptions): Pool {
  if (!Object.values(PoolKind).includes(options.kind)) {
    throw InvalidOptionError.expected('pool', 'one of inline, threads, processes', options.kind);
  }
  positiveInteger('maxTasksPerChild', options.maxTasksPerChild);
  positiveInteger('maxMemoryPerChildKiB', options.maxMemoryPerChildKiB);
  if (options.kind === PoolKind.INLINE) return new InlinePool(options.size);
  positiveInteger('concurrency', options.size);
  positiveInteger('minSize', options.minSize);
  if (options.minSize !== undefined && options.minSize > options.size) {
    throw InvalidOptionError.expected(
      'minSize',
      `at most the pool's size (${options.size})`,
      options.minSize,
    );
  }
  if (!options.appModule) {
    throw InvalidOptionError.expected(
      'appModule',
      `the app module path for the ${options.kind} pool`,
      undefined,
    );
  }
  return new SandboxPool({
    kind: options.kind,
    size: options.size,
    appModule: options.appModule,
    spawn: options.kind === PoolKind.THREADS ? spawnThread : spawnProcess,
    ...(options.entry ? { entry: options.entry } : {}),
    ...(options.maxTasksPerChild !== undefined ? { maxTasksPerChild: options.maxTasksPerChild } : {}),
    ...(options.maxMemoryPerChildKiB !== undefined
      ? { maxMemoryPerChildKiB: options.maxMemoryPerChildKiB }
      : {}),
    ...(options.rejectOnWorkerLost ? { rejectOnWorkerLost: true } : {}),
    ...(options.minSize !== undefined ? { minSize: options.minSize } : {}),
    ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
}
