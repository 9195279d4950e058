/** The memory transport's flow store: the process-local one (`flow/local-flow-store.ts`). */
export { LocalFlowStore as MemoryFlowStore } from '../flow/local-flow-store.js';
