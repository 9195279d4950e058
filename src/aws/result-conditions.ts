/**
 * The conditions of the DynamoDB result store's writes, as named fragments next to what a refusal means, so a
 * reader sees the rule rather than a string. Each fragment carries the values its placeholders need, and
 * {@link allOf} / {@link anyOf} merge them, so a request never sends a value its expression does not use (which
 * DynamoDB refuses).
 *
 * The claim condition mirrors `ports/claim-rules.ts` fragment by fragment; on a refusal the store reads the
 * old item (`ReturnValuesOnConditionCheckFailure: ALL_OLD`) and lets the rules name the outcome:
 *
 * | fragment           | refusal becomes                                                          |
 * |--------------------|--------------------------------------------------------------------------|
 * | {@link NOT_FINISHED}      | `finished`: SUCCESS, FAILURE and REVOKED never run again          |
 * | {@link attemptNotOlder}   | `stale`: a duplicate of a message since retried                   |
 * | {@link leaseFreeFor}      | `busy`: a live lease held by another owner (another delivery)     |
 *
 * Items written by Python have no `task_state`, `task_attempt` or lease; every fragment lets them pass.
 */
import { type AttributeValue, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { READY_STATES } from '../protocol/states.js';
import { awsErrorName } from './aws-error.js';

/** A condition expression and the values of its placeholders. */
export interface Condition {
  readonly expression: string;
  readonly values: Readonly<Record<string, AttributeValue>>;
}

const condition = (expression: string, values: Record<string, AttributeValue> = {}): Condition => ({
  expression,
  values,
});

/** Every condition holds. */
export function allOf(...conditions: readonly Condition[]): Condition {
  return join(conditions, ' AND ');
}

/** At least one condition holds. */
export function anyOf(...conditions: readonly Condition[]): Condition {
  return join(conditions, ' OR ');
}

function join(conditions: readonly Condition[], operator: string): Condition {
  return condition(
    conditions.map((c) => `(${c.expression})`).join(operator),
    Object.assign({}, ...conditions.map((c) => c.values)),
  );
}

/** No item under the key. Refused: one exists, so a create falls back to a conditional update. */
export const ITEM_ABSENT = condition('attribute_not_exists(id)');

/** Not a SUCCESS (Celery's guard). Refused: the SUCCESS is kept, and the write reports it was not stored. */
export const NOT_SUCCESS = condition('attribute_not_exists(task_state) OR task_state <> :success', {
  ':success': { S: 'SUCCESS' },
});

const FINISHED_VALUES = Object.fromEntries(
  [...READY_STATES].map((state) => [`:finished_${state.toLowerCase()}`, { S: state }]),
);

/** Not finished (SUCCESS, FAILURE, REVOKED). Refused: the claim is `finished`. */
export const NOT_FINISHED = condition(
  `attribute_not_exists(task_state) OR NOT (task_state IN (${Object.keys(FINISHED_VALUES).join(', ')}))`,
  FINISHED_VALUES,
);

/** The recorded attempt is not newer than this one. Refused: the claim is `stale`. */
export function attemptNotOlder(attempt: number): Condition {
  return condition('attribute_not_exists(task_attempt) OR task_attempt <= :attempt', {
    ':attempt': { N: String(attempt) },
  });
}

/**
 * No live lease of another owner: no lease, an expired one, or this owner's own. Owners are unique per delivery,
 * so "this owner's own" is only ever the same delivery claiming again: a claim whose write succeeded but whose
 * response was lost, retried by the SDK. Refused: the claim is `busy` until the lease expires.
 */
export function leaseFreeFor(owner: string, nowMs: number): Condition {
  return condition(
    'attribute_not_exists(lease_expires_at) OR lease_expires_at <= :now OR lease_owner = :owner',
    { ':now': { N: String(nowMs) }, ':owner': { S: owner } },
  );
}

/** Not revoked. Refused (a lease renewal): the task was revoked while it ran; the worker reads why. */
export const NOT_REVOKED = condition('attribute_not_exists(task_state) OR task_state <> :revoked', {
  ':revoked': { S: 'REVOKED' },
});

/** This owner holds the claim. Refused: the claim was lost (finished, released, or taken over). */
export function heldBy(owner: string): Condition {
  return condition('lease_owner = :owner', { ':owner': { S: owner } });
}

/**
 * No other owner holds the claim: this owner does, or nobody does. Refused: another delivery took the claim
 * over, and its run will record the outcome.
 */
export function notTakenOverFrom(owner: string): Condition {
  return condition('attribute_not_exists(lease_owner) OR lease_owner = :owner', { ':owner': { S: owner } });
}

/** The claim condition: a new task id, or every rule of `ports/claim-rules.ts` lets this request claim. */
export function claimCondition(request: { owner: string; attempt: number; nowMs: number }): Condition {
  return anyOf(
    ITEM_ABSENT,
    allOf(NOT_FINISHED, attemptNotOlder(request.attempt), leaseFreeFor(request.owner, request.nowMs)),
  );
}

/** No delivery holds a live lease. Refused: a claimed run of the task is under way. */
export function noLiveLease(nowMs: number): Condition {
  return condition('attribute_not_exists(lease_expires_at) OR lease_expires_at <= :now', {
    ':now': { N: String(nowMs) },
  });
}

/** The one-write condition: not finished, no newer attempt recorded, no live claim. */
export function completeOnceCondition(request: { attempt: number; nowMs: number }): Condition {
  return allOf(NOT_FINISHED, attemptNotOlder(request.attempt), noLiveLease(request.nowMs));
}

/** The completion condition: never over a SUCCESS, never from an owner whose claim was taken over. */
export function completeCondition(owner: string): Condition {
  return allOf(NOT_SUCCESS, notTakenOverFrom(owner));
}

/**
 * The chord still has its counter, and none of the members is counted towards it yet. Refused: the chord is gone,
 * or one of them was counted and none is counted again.
 */
export function notCountedYet(positions: readonly number[]): Condition {
  const values: Record<string, AttributeValue> = {};
  const any = positions.map((position, i) => {
    values[`:p${i}`] = { N: String(position) };
    return `contains(chord_positions, :p${i})`;
  });
  return condition(
    `attribute_exists(chord_count) AND (attribute_not_exists(chord_positions) OR NOT (${any.join(' OR ')}))`,
    values,
  );
}

/** The chord still has its counter, and no member but this one joins it. Refused: another member joins it. */
export function joinableBy(memberId: string): Condition {
  return condition(
    'attribute_exists(chord_count) AND (attribute_not_exists(chord_joiner) OR chord_joiner = :joiner)',
    {
      ':joiner': { S: memberId },
    },
  );
}

/** Whether an SDK error is a refused condition (as opposed to a failed request). */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    awsErrorName(error) === 'ConditionalCheckFailedException'
  );
}
