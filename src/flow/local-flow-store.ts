/**
 * {@link FlowStore} in memory, with the semantics of the DynamoDB store (see `ports/flow-store.ts`): the store of
 * limits that hold per process (`rateLimitScope: 'worker'`, Celery's), and of the memory transport.
 */
import type {
  AcquireSlotRequest,
  FlowStore,
  SlotGrant,
  SlotHandle,
  TakeTokensRequest,
  TokenGrant,
} from '../ports/flow-store.js';

interface Lease {
  readonly owner: string;
  readonly untilMs: number;
}

/** Rate buckets, slots and the limits record of one process. */
export class LocalFlowStore implements FlowStore {
  readonly #tat = new Map<string, number>();
  readonly #slots = new Map<string, Lease>();
  #limits: string | undefined;
  /** Requests made, by kind: what a DynamoDB store would have been asked. */
  readonly calls = { take: 0, acquire: 0, renew: 0, release: 0, read: 0, write: 0 };

  async takeTokens(request: TakeTokensRequest): Promise<TokenGrant> {
    this.calls.take += 1;
    const tat = this.#tat.get(request.bucket);
    if (tat !== undefined && tat > request.nowMs) return { granted: 0, retryAtMs: tat };
    const untilMs = request.nowMs + request.count * request.intervalMs;
    this.#tat.set(request.bucket, untilMs);
    return { granted: request.count, untilMs };
  }

  async acquireSlot(request: AcquireSlotRequest): Promise<SlotGrant> {
    let retryAtMs = Number.POSITIVE_INFINITY;
    for (let slot = 0; slot < request.limit; slot += 1) {
      this.calls.acquire += 1;
      const id = `${request.bucket}#${slot}`;
      const held = this.#slots.get(id);
      if (!held || held.untilMs <= request.nowMs || held.owner === request.owner) {
        this.#slots.set(id, { owner: request.owner, untilMs: request.nowMs + request.leaseMs });
        return { slot };
      }
      retryAtMs = Math.min(retryAtMs, held.untilMs);
    }
    return { retryAtMs };
  }

  async renewSlot(handle: SlotHandle, leaseMs: number, nowMs: number): Promise<boolean> {
    this.calls.renew += 1;
    const id = `${handle.bucket}#${handle.slot}`;
    if (this.#slots.get(id)?.owner !== handle.owner) return false;
    this.#slots.set(id, { owner: handle.owner, untilMs: nowMs + leaseMs });
    return true;
  }

  async releaseSlot(handle: SlotHandle): Promise<void> {
    this.calls.release += 1;
    const id = `${handle.bucket}#${handle.slot}`;
    if (this.#slots.get(id)?.owner === handle.owner) this.#slots.delete(id);
  }

  async readLimits(): Promise<string | undefined> {
    this.calls.read += 1;
    return this.#limits;
  }

  async writeLimits(text: string): Promise<void> {
    this.calls.write += 1;
    this.#limits = text;
  }
}
