/**
 * The result store in memory: the same semantics as the DynamoDB store (Celery's guard against overwriting
 * SUCCESS, the claim rules of `ports/claim-rules.ts`), for unit tests, eager runs and local tools.
 */

import { type ClaimRecord, decideClaim } from '../ports/claim-rules.js';
import {
  type ChordCount,
  type ClaimOutcome,
  type ClaimRequest,
  type CompleteRequest,
  expiresAtEpochSeconds,
  type PutOptions,
  type ReleaseClaimRequest,
  type RenewClaimRequest,
  type ResultStore,
} from '../ports/result-store.js';
import {
  decodeResultMeta,
  encodeResultMeta,
  pendingResultMeta as pendingMeta,
  type ResultMeta,
} from '../protocol/result-meta.js';
import { READY_STATES } from '../protocol/states.js';

interface StoredRecord extends ClaimRecord {
  meta: ResultMeta | undefined;
  /** Epoch seconds after which the record counts as gone (DynamoDB TTL). */
  expiresAtSeconds?: number;
}

/**
 * A copy of a meta through the stored format (kombu JSON), as the DynamoDB store keeps it: the value types
 * (`Date`, `Decimal`, `CalendarDate`, `Uuid`, bytes) come back as themselves, which `structuredClone` would
 * turn into plain objects, and a value DynamoDB could not store is refused here too. Kept in exact mode, which
 * loses nothing (big integers, integral floats and microseconds stay as written), and read in the store's mode.
 */
function copyMeta(meta: ResultMeta, exact = true): ResultMeta {
  return decodeResultMeta(encodeResultMeta(meta), { exact });
}

/** Options of {@link MemoryResultStore}. */
export interface MemoryResultStoreOptions {
  /** Read results exactly (the app's `exactValues`), as `DynamoDbResultStore`'s `exact` does. Default false. */
  readonly exact?: boolean;
}

/** An in-memory {@link ResultStore}. */
export class MemoryResultStore implements ResultStore {
  readonly #records = new Map<string, StoredRecord>();
  readonly #now: () => number;
  readonly #exact: boolean;

  /** @param now clock for TTL expiry, epoch ms. */
  constructor(now: () => number = Date.now, options: MemoryResultStoreOptions = {}) {
    this.#now = now;
    this.#exact = options.exact ?? false;
  }

  #live(taskId: string): StoredRecord | undefined {
    const record = this.#records.get(taskId);
    if (record?.expiresAtSeconds !== undefined && record.expiresAtSeconds * 1000 <= this.#now()) {
      this.#records.delete(taskId);
      return undefined;
    }
    return record;
  }

  async get(taskId: string): Promise<ResultMeta | undefined> {
    const meta = this.#live(taskId)?.meta;
    return meta ? copyMeta(meta, this.#exact) : undefined;
  }

  async getMany(taskIds: readonly string[]): Promise<(ResultMeta | undefined)[]> {
    return Promise.all(taskIds.map((taskId) => this.get(taskId)));
  }

  async put(taskId: string, meta: ResultMeta, options: PutOptions): Promise<boolean> {
    const record = this.#live(taskId);
    if (record?.state === 'SUCCESS') return false;
    if (options.owner !== undefined && record?.leaseOwner !== options.owner) return false;
    if (options.onlyIfAbsent && record !== undefined) return false;
    this.#records.set(taskId, {
      ...record,
      meta: copyMeta(meta),
      state: meta.status,
      ...(options.ttlSeconds === undefined
        ? {}
        : { expiresAtSeconds: expiresAtEpochSeconds(options.nowMs, options.ttlSeconds) }),
    });
    return true;
  }

  async claim(request: ClaimRequest): Promise<ClaimOutcome> {
    const record = this.#live(request.taskId);
    const outcome = decideClaim(record, request);
    if (outcome.kind !== 'claimed') return outcome;
    const meta = request.runningMeta ?? record?.meta ?? pendingMeta(request.taskId);
    this.#records.set(request.taskId, {
      meta: copyMeta(meta),
      state: meta.status,
      minAttempt: request.attempt,
      leaseOwner: request.owner,
      leaseExpiresAtMs: request.nowMs + request.leaseMs,
      ...(request.ttlSeconds === undefined
        ? record?.expiresAtSeconds === undefined
          ? {}
          : { expiresAtSeconds: record.expiresAtSeconds }
        : { expiresAtSeconds: expiresAtEpochSeconds(request.nowMs, request.ttlSeconds) }),
    });
    return outcome;
  }

  async renewClaim(request: RenewClaimRequest): Promise<boolean> {
    const record = this.#live(request.taskId);
    if (!record || record.leaseOwner !== request.owner || record.state === 'REVOKED') return false;
    this.#records.set(request.taskId, { ...record, leaseExpiresAtMs: request.nowMs + request.leaseMs });
    return true;
  }

  async releaseClaim(request: ReleaseClaimRequest): Promise<boolean> {
    const record = this.#live(request.taskId);
    if (!record || record.leaseOwner !== request.owner) return false;
    const { leaseOwner: _owner, leaseExpiresAtMs: _expires, ...rest } = record;
    this.#records.set(request.taskId, rest);
    return true;
  }

  async complete(request: CompleteRequest): Promise<void> {
    const record = this.#live(request.taskId);
    if (record?.state === 'SUCCESS') return;
    if (record?.leaseOwner !== undefined && record.leaseOwner !== request.owner) return;
    const { leaseOwner: _owner, leaseExpiresAtMs: _expires, ...rest } = record ?? { meta: undefined };
    this.#writeOutcome(request, record, rest);
  }

  async completeOnce(request: CompleteRequest): Promise<boolean> {
    const record = this.#live(request.taskId);
    if (record?.state !== undefined && READY_STATES.has(record.state)) return false;
    if (record?.minAttempt !== undefined && record.minAttempt > request.attempt) return false;
    if (record?.leaseExpiresAtMs !== undefined && record.leaseExpiresAtMs > request.nowMs) return false;
    this.#writeOutcome(request, record, record ?? {});
    return true;
  }

  async completeMany(requests: readonly CompleteRequest[]): Promise<void> {
    for (const request of requests) this.#writeOutcome(request, this.#live(request.taskId), {});
  }

  /**
   * Stores the end of a run over `kept`, the fields of the old `record` the caller keeps: the request's meta (else
   * the stored one), its state, the attempt the next claim must reach, and its TTL.
   */
  #writeOutcome(
    request: CompleteRequest,
    record: StoredRecord | undefined,
    kept: Partial<StoredRecord>,
  ): void {
    this.#records.set(request.taskId, {
      ...kept,
      meta: request.meta ? copyMeta(request.meta) : (record?.meta ?? pendingMeta(request.taskId)),
      state: request.state,
      minAttempt: request.state === 'RETRY' ? request.attempt + 1 : request.attempt,
      ...(request.ttlSeconds === undefined
        ? {}
        : { expiresAtSeconds: expiresAtEpochSeconds(request.nowMs, request.ttlSeconds) }),
    });
  }

  async forget(taskId: string): Promise<void> {
    this.#records.delete(taskId);
  }

  readonly #groups = new Map<string, string[]>();
  readonly #chordCounters = new Map<string, { count: number; positions: Set<number>; joiner?: string }>();

  async saveGroup(groupId: string, memberIds: readonly string[]): Promise<void> {
    this.#groups.set(groupId, [...memberIds]);
    this.#chordCounters.set(groupId, { count: 0, positions: new Set() });
  }

  async getGroupMembers(groupId: string): Promise<string[] | undefined> {
    const members = this.#groups.get(groupId);
    return members ? [...members] : undefined;
  }

  async incrementChordCounter(
    groupId: string,
    positions: readonly number[],
  ): Promise<ChordCount | undefined> {
    const counter = this.#chordCounters.get(groupId);
    if (!counter) return undefined;
    const counted = positions.filter((p, i) => !counter.positions.has(p) && positions.indexOf(p) === i);
    for (const p of counted) counter.positions.add(p);
    counter.count += counted.length;
    return { count: counter.count, counted };
  }

  async claimChordJoin(groupId: string, memberId: string): Promise<boolean> {
    const counter = this.#chordCounters.get(groupId);
    if (!counter || (counter.joiner !== undefined && counter.joiner !== memberId)) return false;
    counter.joiner = memberId;
    return true;
  }

  async deleteChord(groupId: string): Promise<void> {
    this.#groups.delete(groupId);
    this.#chordCounters.delete(groupId);
  }

  /** Test helper: the claim part of a record, to assert on leases and attempts. */
  inspect(taskId: string): ClaimRecord | undefined {
    const record = this.#live(taskId);
    if (!record) return undefined;
    const { meta: _meta, expiresAtSeconds: _ttl, ...claim } = record;
    return claim;
  }
}
