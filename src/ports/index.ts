/** The ports the core is written against. */
export type * from './broker.js';
export * from './claim-rules.js';
export * from './clock.js';
export type * from './payload-store.js';
export type * from './result-store.js';
