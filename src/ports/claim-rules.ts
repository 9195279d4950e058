/**
 * The rules of {@link ResultStore.claim}, shared by every adapter so they agree: the memory store applies them
 * directly, the DynamoDB store encodes them in one condition expression (`aws/result-conditions.ts`, fragment by
 * fragment) and uses them to explain a refusal.
 *
 * An owner is unique per delivery (one SQS receipt of one message), never per worker or per message: a second
 * delivery of the same message, while the first still runs, is another owner and is refused as busy. A live
 * lease held by *any* other owner refuses the claim.
 *
 * A claim by the lease's own owner is accepted. With owners unique per delivery that only happens when the same
 * delivery claims twice: a claim whose write succeeded but whose response was lost (a reset connection, a
 * timeout), retried by the SDK or the caller. Refusing it would leave that delivery busy behind its own lease
 * until the lease expired, so the acceptance stays; it can never let two deliveries run at once.
 */
import { READY_STATES } from '../protocol/states.js';
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

/**
 * Decides a claim against the current record:
 * 1. no record: claimed;
 * 2. a finished record (SUCCESS, FAILURE, REVOKED): refused as finished;
 * 3. an attempt older than the recorded one (a duplicate of a message that was since retried): stale;
 * 4. a live lease held by another owner (another delivery, of this message or of a copy): busy until it expires;
 * 5. otherwise (no lease, a released one, an expired one from a crashed worker, a RETRY waiting for this
 *    attempt, this delivery's own lease): claimed.
 */
export function decideClaim(
  record: ClaimRecord | undefined,
  request: Pick<ClaimRequest, 'attempt' | 'owner' | 'nowMs'>,
): ClaimOutcome {
  if (!record) return { kind: 'claimed' };
  if (record.state !== undefined && READY_STATES.has(record.state))
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
