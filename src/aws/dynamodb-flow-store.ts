/**
 * The flow store in the results table, out of Celery's way (Celery's keys start with `b'`): rate buckets are
 * items `celeriac-rate-<bucket>` holding `tat` (epoch ms), concurrency slots `celeriac-slot-<bucket>#<n>`
 * holding `owner` and `lease_until`, the limits record `celeriac-flow-limits` holding `limits` (JSON). Buckets
 * and slots carry a `ttl` so idle ones disappear. See `ports/flow-store.ts` for the semantics.
 */
import {
  type AttributeValue,
  type ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type {
  AcquireSlotRequest,
  FlowStore,
  SlotGrant,
  SlotHandle,
  TakeTokensRequest,
  TokenGrant,
} from '../ports/flow-store.js';
import { backendError } from './aws-error.js';
import { ttlEpochSeconds } from './celery-keys.js';
import { isConditionFailure } from './result-conditions.js';

/** How long an idle bucket or slot item lives. */
const IDLE_TTL_SECONDS = 24 * 3600;
const LIMITS_ID = 'celeriac-flow-limits';

const oldItem = (error: unknown): Record<string, AttributeValue> | undefined =>
  (error as ConditionalCheckFailedException).Item;

const numberOf = (value: AttributeValue | undefined): number | undefined =>
  value?.N === undefined ? undefined : Number(value.N);

/** {@link FlowStore} in a DynamoDB table keyed by `id`. */
export class DynamoDbFlowStore implements FlowStore {
  readonly #ddb: DynamoDBClient;
  readonly #table: string;

  constructor(ddb: DynamoDBClient, options: { readonly tableName: string }) {
    this.#ddb = ddb;
    this.#table = options.tableName;
  }

  async takeTokens(request: TakeTokensRequest): Promise<TokenGrant> {
    const untilMs = request.nowMs + request.count * request.intervalMs;
    try {
      await this.#ddb.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { id: { S: `celeriac-rate-${request.bucket}` } },
          UpdateExpression: 'SET #tat = :until, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#tat) OR #tat <= :now',
          ExpressionAttributeNames: { '#tat': 'tat', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':until': { N: String(untilMs) },
            ':now': { N: String(request.nowMs) },
            ':ttl': { N: ttlEpochSeconds(request.nowMs, IDLE_TTL_SECONDS) },
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { granted: request.count, untilMs };
    } catch (error) {
      if (isConditionFailure(error)) {
        const tat = numberOf(oldItem(error)?.tat);
        // Without the old item (an emulator that does not return it), come back after one batch's time.
        return { granted: 0, retryAtMs: tat ?? untilMs };
      }
      throw backendError(`DynamoDB UpdateItem(${this.#table}) rate bucket ${request.bucket}`, error);
    }
  }

  async acquireSlot(request: AcquireSlotRequest): Promise<SlotGrant> {
    // Start at a random slot, so runs of one key do not all contend for slot 0.
    const first = Math.floor(Math.random() * request.limit);
    let retryAtMs = Number.POSITIVE_INFINITY;
    for (let i = 0; i < request.limit; i += 1) {
      const slot = (first + i) % request.limit;
      try {
        await this.#ddb.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: {
              id: { S: `celeriac-slot-${request.bucket}#${slot}` },
              owner: { S: request.owner },
              lease_until: { N: String(request.nowMs + request.leaseMs) },
              ttl: { N: ttlEpochSeconds(request.nowMs + request.leaseMs, IDLE_TTL_SECONDS) },
            },
            ConditionExpression: 'attribute_not_exists(id) OR lease_until <= :now OR #owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: {
              ':now': { N: String(request.nowMs) },
              ':owner': { S: request.owner },
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { slot };
      } catch (error) {
        if (!isConditionFailure(error)) {
          throw backendError(`DynamoDB PutItem(${this.#table}) slot of ${request.bucket}`, error);
        }
        retryAtMs = Math.min(retryAtMs, numberOf(oldItem(error)?.lease_until) ?? request.nowMs + 1000);
      }
    }
    return { retryAtMs };
  }

  async renewSlot(handle: SlotHandle, leaseMs: number, nowMs: number): Promise<boolean> {
    try {
      await this.#ddb.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { id: { S: `celeriac-slot-${handle.bucket}#${handle.slot}` } },
          UpdateExpression: 'SET lease_until = :until, #ttl = :ttl',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':until': { N: String(nowMs + leaseMs) },
            ':ttl': { N: ttlEpochSeconds(nowMs + leaseMs, IDLE_TTL_SECONDS) },
            ':owner': { S: handle.owner },
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw backendError(`DynamoDB UpdateItem(${this.#table}) slot of ${handle.bucket}`, error);
    }
  }

  async releaseSlot(handle: SlotHandle): Promise<void> {
    try {
      await this.#ddb.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: { id: { S: `celeriac-slot-${handle.bucket}#${handle.slot}` } },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: handle.owner } },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return; // taken over after its lease ended: not ours to free
      throw backendError(`DynamoDB DeleteItem(${this.#table}) slot of ${handle.bucket}`, error);
    }
  }

  async readLimits(): Promise<string | undefined> {
    try {
      const { Item } = await this.#ddb.send(
        new GetItemCommand({ TableName: this.#table, Key: { id: { S: LIMITS_ID } } }),
      );
      return Item?.limits?.S;
    } catch (error) {
      throw backendError(`DynamoDB GetItem(${this.#table}) ${LIMITS_ID}`, error);
    }
  }

  async writeLimits(text: string): Promise<void> {
    try {
      await this.#ddb.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: { id: { S: LIMITS_ID }, limits: { S: text } },
        }),
      );
    } catch (error) {
      throw backendError(`DynamoDB PutItem(${this.#table}) ${LIMITS_ID}`, error);
    }
  }
}
