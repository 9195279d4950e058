/**
 * Result items, built once per write and rendered two ways: as a whole new item for a conditional PutItem, and
 * as the `SET`/`REMOVE` of a conditional UpdateItem on an item that exists. The attributes:
 *
 * | attribute          | type | holds                                                               |
 * |--------------------|------|---------------------------------------------------------------------|
 * | `id`               | S    | Celery's key (`celery-keys.ts`)                                     |
 * | `result`           | B    | UTF-8 kombu JSON of the result meta (Celery's)                      |
 * | `timestamp`        | N    | seconds since the epoch, when written (Celery's)                    |
 * | `ttl`              | N    | epoch seconds for DynamoDB TTL, when a result TTL is set (Celery's) |
 * | `task_state`       | S    | the lifecycle state (celeriac's; Python ignores it)                 |
 * | `task_attempt`     | N    | the lowest `retries` that may still claim (celeriac's)              |
 * | `lease_owner`      | S    | the delivery holding the claim (celeriac's)                         |
 * | `lease_expires_at` | N    | epoch ms when the claim's lease ends (celeriac's)                   |
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ClaimRecord } from '../ports/claim-rules.js';
import type { ClaimRequest, CompleteRequest, PutOptions } from '../ports/result-store.js';
import { encodeResultMeta, pendingResultMeta, type ResultMeta } from '../protocol/result-meta.js';
import { celeryTimestamp, ttlEpochSeconds } from './celery-keys.js';
import type { Condition } from './result-conditions.js';

/** The attributes one write stores. */
export interface ItemWrite {
  /** Written every time. */
  readonly set: Readonly<Record<string, AttributeValue>>;
  /** Written only when the item has none yet: an existing item keeps its own. */
  readonly setIfAbsent?: Readonly<Record<string, AttributeValue>>;
  /** Removed from an existing item (a new item never has them). */
  readonly remove?: readonly string[];
}

/** The input of a conditional UpdateItem, without table and key. */
export interface UpdateInput {
  readonly UpdateExpression: string;
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, AttributeValue>;
}

const utf8 = new TextEncoder();

const metaValue = (meta: ResultMeta): AttributeValue => ({ B: utf8.encode(encodeResultMeta(meta)) });
const ttlValue = (nowMs: number, ttlSeconds: number | undefined): Record<string, AttributeValue> =>
  ttlSeconds === undefined ? {} : { ttl: { N: ttlEpochSeconds(nowMs, ttlSeconds) } };

/** The whole item a write creates when nothing is stored under `key`. */
export function asNewItem(
  key: Readonly<Record<string, AttributeValue>>,
  write: ItemWrite,
): Record<string, AttributeValue> {
  return { ...key, ...write.setIfAbsent, ...write.set };
}

/** The UpdateItem of a write on an existing item, under `condition`. */
export function asUpdate(write: ItemWrite, condition: Condition): UpdateInput {
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = { ...condition.values };
  const assignments: string[] = [];
  for (const [attribute, value] of Object.entries(write.set)) {
    names[`#${attribute}`] = attribute;
    values[`:set_${attribute}`] = value;
    assignments.push(`#${attribute} = :set_${attribute}`);
  }
  for (const [attribute, value] of Object.entries(write.setIfAbsent ?? {})) {
    names[`#${attribute}`] = attribute;
    values[`:set_${attribute}`] = value;
    assignments.push(`#${attribute} = if_not_exists(#${attribute}, :set_${attribute})`);
  }
  for (const attribute of write.remove ?? []) names[`#${attribute}`] = attribute;
  const remove = (write.remove ?? []).map((attribute) => `#${attribute}`);
  const clauses = [
    ...(assignments.length > 0 ? [`SET ${assignments.join(', ')}`] : []),
    ...(remove.length > 0 ? [`REMOVE ${remove.join(', ')}`] : []),
  ];
  return {
    UpdateExpression: clauses.join(' '),
    ConditionExpression: condition.expression,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * A claim: the lease, the attempt, and the running meta (STARTED) when there is one; otherwise a new item shows
 * PENDING and an existing one keeps its meta.
 */
export function claimWrite(request: ClaimRequest): ItemWrite {
  const lease = {
    lease_owner: { S: request.owner },
    lease_expires_at: { N: String(request.nowMs + request.leaseMs) },
    task_attempt: { N: String(request.attempt) },
    timestamp: { N: celeryTimestamp(request.nowMs) },
    ...ttlValue(request.nowMs, request.ttlSeconds),
  };
  if (request.runningMeta) {
    return {
      set: {
        ...lease,
        result: metaValue(request.runningMeta),
        task_state: { S: request.runningMeta.status },
      },
    };
  }
  return {
    set: lease,
    setIfAbsent: { result: metaValue(pendingResultMeta(request.taskId)), task_state: { S: 'PENDING' } },
  };
}

/** A stored meta outside a claim, or a running task's progress. */
export function putWrite(meta: ResultMeta, options: PutOptions): ItemWrite {
  return {
    set: {
      result: metaValue(meta),
      timestamp: { N: celeryTimestamp(options.nowMs) },
      task_state: { S: meta.status },
      ...ttlValue(options.nowMs, options.ttlSeconds),
    },
  };
}

/**
 * The end of a run: its state and the attempt that may claim next (the next one after a RETRY), its meta unless
 * the result is ignored (then readers keep seeing PENDING), and no lease.
 */
export function completeWrite(request: CompleteRequest): ItemWrite {
  const state = {
    task_state: { S: request.state },
    task_attempt: { N: String(request.state === 'RETRY' ? request.attempt + 1 : request.attempt) },
    ...ttlValue(request.nowMs, request.ttlSeconds),
  };
  const timestamp = { timestamp: { N: celeryTimestamp(request.nowMs) } };
  const remove = ['lease_owner', 'lease_expires_at'];
  return request.meta
    ? { set: { ...state, ...timestamp, result: metaValue(request.meta) }, remove }
    : {
        set: state,
        setIfAbsent: { ...timestamp, result: metaValue(pendingResultMeta(request.taskId)) },
        remove,
      };
}

/** The claim-related part of a stored item. */
export function toClaimRecord(item: Readonly<Record<string, AttributeValue>>): ClaimRecord {
  const number = (value: AttributeValue | undefined): number | undefined =>
    value?.N === undefined ? undefined : Number(value.N);
  const minAttempt = number(item.task_attempt);
  const leaseExpiresAtMs = number(item.lease_expires_at);
  return {
    ...(item.task_state?.S === undefined ? {} : { state: item.task_state.S }),
    ...(minAttempt === undefined ? {} : { minAttempt }),
    ...(item.lease_owner?.S === undefined ? {} : { leaseOwner: item.lease_owner.S }),
    ...(leaseExpiresAtMs === undefined ? {} : { leaseExpiresAtMs }),
  };
}
