/**
 * The operator layer: what `celeriac call|result|purge|dlq|status` do, as functions over an {@link OpsContext},
 * so the CLI and a dashboard share one tested core and differ only in how they show it.
 */
export * from './dead-letters.js';
export * from './describe-dead-letter.js';
export * from './ops-context.js';
export * from './queues.js';
export * from './status.js';
export * from './tasks.js';
