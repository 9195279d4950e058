/** Worker pools: where task functions run (inline, worker threads, child processes). */
export { type CreatePoolOptions, createPool } from './create-pool.js';
export { InlinePool } from './inline-pool.js';
export { type ErrorClass, type Pool, type PoolJob, PoolKind } from './pool.js';
export { SandboxPool, type SandboxPoolOptions } from './sandbox-pool.js';
