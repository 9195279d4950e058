/**
 * The flow-store port: what fleet-wide limits need from shared storage. `src/aws/dynamodb-flow-store.ts` keeps
 * it in the results table, beside the results; `src/memory/memory-flow-store.ts` in memory (tests, eager mode,
 * and `celeriac worker --rate-limit-scope worker`).
 *
 * - **Rate buckets** follow GCRA (the generic cell rate algorithm) without burst tolerance: a bucket stores one
 *   time, `tat`, before which its tokens are spent. Taking `count` tokens when `tat` has passed sets it to
 *   `now + count × intervalMs` and grants tokens to be used before then; while `tat` is ahead, nothing is
 *   granted and the answer says when to come back. Any window of `W` ms therefore sees at most
 *   `W / intervalMs + count` starts, whichever process took the tokens.
 * - **Concurrency slots**: a key limited to `N` running tasks has `N` slots, each a lease held by one run.
 *   A run that crashes holds its slot until the lease ends.
 * - **The limits record**: the limits set at run time (`celeriac control rate-limit`), one JSON document.
 */

/** What {@link FlowStore.takeTokens} asks for. */
export interface TakeTokensRequest {
  /** The bucket: a task name, or a task name and a key. */
  readonly bucket: string;
  /** Tokens wanted, at least 1. */
  readonly count: number;
  /** Milliseconds each token stands for (1000 / rate per second). */
  readonly intervalMs: number;
  readonly nowMs: number;
}

/** The answer to a take: tokens granted until `untilMs`, or none before `retryAtMs`. */
export type TokenGrant =
  | { readonly granted: number; readonly untilMs: number }
  | { readonly granted: 0; readonly retryAtMs: number };

/** What {@link FlowStore.acquireSlot} asks for. */
export interface AcquireSlotRequest {
  readonly bucket: string;
  /** Most runs at once. */
  readonly limit: number;
  /** The run asking (one delivery). */
  readonly owner: string;
  readonly leaseMs: number;
  readonly nowMs: number;
}

/** A slot held, or when one may come free. */
export type SlotGrant = { readonly slot: number } | { readonly slot?: undefined; readonly retryAtMs: number };

/** A held slot, for renewal and release. */
export interface SlotHandle {
  readonly bucket: string;
  readonly slot: number;
  readonly owner: string;
}

/** Shared state of fleet-wide limits. */
export interface FlowStore {
  /** Takes tokens from a rate bucket (one conditional write). */
  takeTokens(request: TakeTokensRequest): Promise<TokenGrant>;
  /** Takes a free slot of a concurrency-limited key (one conditional write per slot tried). */
  acquireSlot(request: AcquireSlotRequest): Promise<SlotGrant>;
  /** Extends a held slot's lease; false when it is no longer held by its owner. */
  renewSlot(handle: SlotHandle, leaseMs: number, nowMs: number): Promise<boolean>;
  /** Frees a held slot; nothing happens when another owner holds it now. */
  releaseSlot(handle: SlotHandle): Promise<void>;
  /** The limits record's text, or undefined when none was written. */
  readLimits(): Promise<string | undefined>;
  /** Replaces the limits record. */
  writeLimits(text: string): Promise<void>;
}
