/** The ports the core is written against. */
export type * from './broker.js';
export * from './claim-rules.js';
export * from './clock.js';
export * from './eta-scheduler.js';
export * from './event-bus.js';
export * from './message-attribute.js';
export * from './message-size.js';
export type * from './monitoring-store.js';
export type * from './payload-store.js';
export * from './payload-too-large.js';
export * from './result-store.js';
export * from './service-limits.js';
export type * from './task-index.js';
