/**
 * The result-store port: where task states and results live, in Celery's result meta shape, plus the claim
 * that makes execution effectively once on an at-least-once queue. `src/aws/dynamodb-result-store.ts` stores
 * items in the format of Celery's DynamoDB backend; `src/memory/memory-result-store.ts` keeps them in memory.
 *
 * The claim lifecycle of one task id:
 * ```
 *  (no record) ──claim──► RUNNING(lease owner, lease expiry, attempt r)
 *  RUNNING ──complete(SUCCESS|FAILURE|REVOKED)──► finished: every later claim is refused
 *  RUNNING ──complete(RETRY)──► waiting for attempt r+1: claims by attempts <= r are refused as stale
 *  RUNNING ──releaseClaim (handed back)──► waiting: the next delivery's claim succeeds at once
 *  RUNNING, lease expired (worker crashed) ──claim by the redelivered message──► RUNNING(new owner)
 *  (no record) ──revoke──► REVOKED: every claim is refused
 * ```
 *
 * Owners: a claim's owner names one delivery (one SQS receipt of one message, e.g. its receipt handle), never a
 * worker or a message, so a second delivery of a message that is still running is another owner and is
 * refused as busy. A live lease held by any other owner refuses a claim; only the same delivery may claim again
 * (see `claim-rules.ts`).
 */
import type { ResultMeta } from '../protocol/result-meta.js';

/** What a worker asks for when it is about to run a task. */
export interface ClaimRequest {
  readonly taskId: string;
  /**
   * Who claims: unique per delivery (a receipt handle, say), so that a redelivery of a running message is
   * refused as busy. A repeated claim by the same owner (the same delivery) succeeds.
   */
  readonly owner: string;
  /** The attempt: the message's `retries` header. */
  readonly attempt: number;
  /** How long the claim holds without renewal. */
  readonly leaseMs: number;
  /** Current time, epoch ms. */
  readonly nowMs: number;
  /**
   * Meta to show while the task runs: STARTED with `{pid, hostname}` when the task tracks it. When absent, an
   * existing record keeps its meta and a new one shows PENDING, as Celery shows for tasks that do not track
   * STARTED.
   */
  readonly runningMeta?: ResultMeta;
  /** Seconds until the record expires (DynamoDB TTL); none when absent. */
  readonly ttlSeconds?: number;
  /** The task's name, for a store that indexes tasks by name (the task index). */
  readonly taskName?: string;
}

/** The answer to a claim. */
export type ClaimOutcome =
  | { readonly kind: 'claimed' }
  /** The task already finished (SUCCESS, FAILURE or REVOKED): do not run it again. */
  | { readonly kind: 'finished'; readonly state: string }
  /** Another delivery holds a live lease: try again after it ends. */
  | {
      readonly kind: 'busy';
      readonly leaseExpiresAtMs: number;
      /** The attempt holding the lease, when known: an older one is about to hand over to a retry. */
      readonly heldByAttempt?: number;
    }
  /** This message is an older attempt than one already recorded (a duplicate of a retried message). */
  | { readonly kind: 'stale'; readonly recordedAttempt: number };

/** How a run ended, for {@link ResultStore.complete}. */
export interface CompleteRequest {
  readonly taskId: string;
  readonly owner: string;
  readonly attempt: number;
  /**
   * The meta to store. `undefined` means "store nothing visible" (`ignore_result`): the record only remembers
   * that the task finished, so a duplicate delivery is not run again, and readers keep seeing PENDING.
   */
  readonly meta: ResultMeta | undefined;
  /** The state the run ended in (the meta's status, or the would-be status when `meta` is absent). */
  readonly state: string;
  readonly nowMs: number;
  readonly ttlSeconds?: number;
}

/** Options for {@link ResultStore.put}. */
export interface PutOptions {
  readonly nowMs: number;
  readonly ttlSeconds?: number;
  /**
   * Store only while this owner holds the task's claim (a running task reporting progress): once the run is
   * finished, timed out or taken over, the write is refused, so it cannot replace the final state.
   */
  readonly owner?: string;
  /** Store only when nothing is stored for the task yet (a chord body failed before it was ever sent). */
  readonly onlyIfAbsent?: boolean;
}

/** What {@link ResultStore.renewClaim} asks for. */
export interface RenewClaimRequest {
  readonly taskId: string;
  /** The delivery holding the claim. */
  readonly owner: string;
  /** The new lease, from `nowMs`. */
  readonly leaseMs: number;
  /** Current time, epoch ms. */
  readonly nowMs: number;
}

/** What {@link ResultStore.releaseClaim} asks for. */
export interface ReleaseClaimRequest {
  readonly taskId: string;
  /** The delivery holding the claim. */
  readonly owner: string;
  /** Current time, epoch ms. */
  readonly nowMs: number;
}

/** A chord counter after a write: its count, and the members this write counted (see `incrementChordCounter`). */
export interface ChordCount {
  readonly count: number;
  /** The positions, in the saved group, of the members this write counted, in the order given. */
  readonly counted: readonly number[];
}

/** Task states and results, keyed by task id. */
export interface ResultStore {
  /** The stored meta, or `undefined` when nothing is stored (PENDING). */
  get(taskId: string): Promise<ResultMeta | undefined>;
  /**
   * The stored metas of many tasks, in the order asked (`undefined` where nothing is stored), in as few requests
   * as the store allows (`BatchGetItem`s of 100 on DynamoDB): how a chord's joining worker reads its members.
   */
  getMany(taskIds: readonly string[]): Promise<(ResultMeta | undefined)[]>;
  /**
   * Stores a meta unless the stored one is SUCCESS (Celery's guard against overwriting a success). Used for
   * progress and custom states, REVOKED, and results written outside a claim. Returns false when kept.
   */
  put(taskId: string, meta: ResultMeta, options: PutOptions): Promise<boolean>;
  /** Claims a task id for one run, in one conditional write. */
  claim(request: ClaimRequest): Promise<ClaimOutcome>;
  /**
   * Extends a live claim's lease; false when the claim was lost (taken over, released or finished), or the task
   * was revoked while it ran (the holder reads the stored REVOKED to learn whether to terminate it).
   */
  renewClaim(request: RenewClaimRequest): Promise<boolean>;
  /**
   * Ends the lease `owner` holds, without recording an outcome, so the next delivery can claim at once (a
   * worker handing a message back on shutdown, a run that could not start). The record keeps its meta and
   * attempt. False when `owner` no longer holds the claim (taken over, released or finished): nothing changes.
   */
  releaseClaim(request: ReleaseClaimRequest): Promise<boolean>;
  /**
   * Records the end of a run and releases the claim. Never overwrites a SUCCESS, and does nothing when another
   * owner has taken the claim over (its run will record the outcome).
   */
  complete(request: CompleteRequest): Promise<void>;
  /**
   * Records the end of a run that held no claim (a task with `guarantee: 'at-least-once'`), in one conditional
   * write: refused when the task is finished (SUCCESS, FAILURE, REVOKED), when a newer attempt is recorded, or
   * while a delivery holds a live claim. Returns whether it was stored; `owner` is ignored.
   */
  completeOnce(request: CompleteRequest): Promise<boolean>;
  /**
   * Records the ends of runs that held no claim (tasks with `guarantee: 'bulk'`), unconditionally, in as few
   * requests as the store allows (`BatchWriteItem`s of 25 on DynamoDB): each replaces whatever is stored for its
   * task, finished or not; of two for one task, the later one in `requests` is kept. `owner` is ignored.
   */
  completeMany(requests: readonly CompleteRequest[]): Promise<void>;
  /** Deletes the record (`AsyncResult.forget()`). */
  forget(taskId: string): Promise<void>;
  /**
   * Saves a group's member task ids, in order (Celery's `celery-taskset-meta-<id>` record, as
   * `GroupResult.save()` and a chord's producer write it).
   */
  saveGroup(groupId: string, memberIds: readonly string[], nowMs: number): Promise<void>;
  /** The member task ids of a saved group, in order, or `undefined` when no group is saved. */
  getGroupMembers(groupId: string): Promise<string[] | undefined>;
  /**
   * Counts members towards their chord (Celery's `chord-unlock-<id>` counter, which `saveGroup` creates at 0),
   * each once however often it is asked, in one write when it can. A member is named by its position in the
   * saved group (0 for the first), which the counter keeps, a few bytes each: a chord of 100,000 members stays
   * under DynamoDB's 400 KB item, and a write's size (its write units) grows by bytes, not kilobytes, per
   * member. Returns the count after the write and the positions it counted, in the order given (the others had
   * been counted before); `undefined` when the chord has no counter (its body was sent and its records deleted,
   * or it was never saved).
   */
  incrementChordCounter(groupId: string, positions: readonly number[]): Promise<ChordCount | undefined>;
  /**
   * Makes `memberId` the one member that joins the chord and sends its body, once the count reached the chord's
   * size: true for the first member to ask and again for that member (its delivery repeated after a crash), false
   * for any other member (a duplicate delivery seen meanwhile) and when the chord has no counter.
   */
  claimChordJoin(groupId: string, memberId: string): Promise<boolean>;
  /** Deletes a chord's group record and counter, once its body was sent. */
  deleteChord(groupId: string): Promise<void>;
}

/** When a record written at `nowMs` with a TTL of `ttlSeconds` may be deleted: epoch seconds, as DynamoDB TTL reads them. */
export function expiresAtEpochSeconds(nowMs: number, ttlSeconds: number): number {
  return Math.floor(nowMs / 1000) + ttlSeconds;
}
