/**
 * The rules of {@link ResultStore.claim}, shared by every adapter so they agree: the memory store applies them
 * directly, the DynamoDB store encodes them in one condition expression and uses them to explain a refusal.
 */
import type { ClaimOutcome, ClaimRequest } from './result-store.js';

/** The claim-related part of a stored record. */
export interface ClaimRecord {
  /** Lifecycle state (the stored meta's status, or the finished state of an ignored result). */
  readonly state?: string;
  /** The lowest attempt (`retries`) that may still claim: the running attempt, or the next one after a RETRY. */
  readonly minAttempt?: number;
  readonly leaseOwner?: string;
  readonly leaseExpiresAtMs?: number;
}

/** States after which a task never runs again. */
export const FINISHED_STATES: ReadonlySet<string> = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

/**
 * Decides a claim against the current record:
 * 1. no record: claimed;
 * 2. a finished record (SUCCESS, FAILURE, REVOKED): refused as finished;
 * 3. an attempt older than the recorded one (a duplicate of a message that was since retried): stale;
 * 4. a live lease held by another owner: busy until it expires;
 * 5. otherwise (an expired lease from a crashed worker, a RETRY waiting for this attempt, our own lease):
 *    claimed.
 */
export function decideClaim(
  record: ClaimRecord | undefined,
  request: Pick<ClaimRequest, 'attempt' | 'owner' | 'nowMs'>,
): ClaimOutcome {
  if (!record) return { kind: 'claimed' };
  if (record.state !== undefined && FINISHED_STATES.has(record.state))
    return { kind: 'finished', state: record.state };
  if (record.minAttempt !== undefined && request.attempt < record.minAttempt) {
    return { kind: 'stale', recordedAttempt: record.minAttempt };
  }
  if (
    record.leaseExpiresAtMs !== undefined &&
    record.leaseExpiresAtMs > request.nowMs &&
    record.leaseOwner !== undefined &&
    record.leaseOwner !== request.owner
  ) {
    return {
      kind: 'busy',
      leaseExpiresAtMs: record.leaseExpiresAtMs,
      ...(record.minAttempt === undefined ? {} : { heldByAttempt: record.minAttempt }),
    };
  }
  return { kind: 'claimed' };
}
