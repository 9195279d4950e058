/**
 * The route store in the results table, out of Celery's way (Celery's keys start with `celery-task-meta-`): the
 * routes record is the item `celeriac-migration-routes` holding `routes` (JSON), and each shadow result an item
 * `celeriac-shadow-<task id>` holding `task_id`, `task`, `status`, `value` (JSON), `stored_at` (epoch ms),
 * `hostname` and a `ttl`. The Python package (`celeriac_celery.routing`) reads the same routes item. Listing shadow
 * results scans the table, so `celeriac shadow report` costs reads in proportion to the table's size. See
 * `ports/route-store.ts` for the semantics.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { RouteStore, ShadowQuery, ShadowRecord } from '../ports/route-store.js';
import { backendError } from './aws-error.js';
import { ttlEpochSeconds } from './celery-keys.js';
import { isConditionFailure } from './result-conditions.js';

/** The routes record's item id. */
export const ROUTES_ID = 'celeriac-migration-routes';
/** The id prefix of shadow results. */
export const SHADOW_PREFIX = 'celeriac-shadow-';
/** How long a shadow result lives when no TTL is given: a week of comparisons. */
const SHADOW_TTL_SECONDS = 7 * 24 * 3600;

function toRecord(item: Record<string, AttributeValue>): ShadowRecord | undefined {
  const status = item.status?.S;
  if (status !== 'SUCCESS' && status !== 'FAILURE') return undefined;
  return {
    taskId: item.task_id?.S ?? '',
    taskName: item.task?.S ?? '',
    state: status,
    valueJson: item.value?.S ?? 'null',
    storedAtMs: Number(item.stored_at?.N ?? 0),
    hostname: item.hostname?.S ?? '',
  };
}

/** {@link RouteStore} in a DynamoDB table keyed by `id`. */
export class DynamoDbRouteStore implements RouteStore {
  readonly #ddb: DynamoDBClient;
  readonly #table: string;

  constructor(ddb: DynamoDBClient, options: { readonly tableName: string }) {
    this.#ddb = ddb;
    this.#table = options.tableName;
  }

  async readRoutes(): Promise<string | undefined> {
    try {
      const { Item } = await this.#ddb.send(
        new GetItemCommand({ TableName: this.#table, Key: { id: { S: ROUTES_ID } }, ConsistentRead: true }),
      );
      return Item?.routes?.S;
    } catch (error) {
      throw backendError(`DynamoDB GetItem(${this.#table}) ${ROUTES_ID}`, error);
    }
  }

  async writeRoutes(text: string): Promise<void> {
    try {
      await this.#ddb.send(
        new PutItemCommand({ TableName: this.#table, Item: { id: { S: ROUTES_ID }, routes: { S: text } } }),
      );
    } catch (error) {
      throw backendError(`DynamoDB PutItem(${this.#table}) ${ROUTES_ID}`, error);
    }
  }

  async putShadow(record: ShadowRecord, ttlSeconds = SHADOW_TTL_SECONDS): Promise<boolean> {
    try {
      await this.#ddb.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            id: { S: `${SHADOW_PREFIX}${record.taskId}` },
            task_id: { S: record.taskId },
            task: { S: record.taskName },
            status: { S: record.state },
            value: { S: record.valueJson },
            stored_at: { N: String(record.storedAtMs) },
            hostname: { S: record.hostname },
            ttl: { N: ttlEpochSeconds(record.storedAtMs, ttlSeconds) },
          },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw backendError(`DynamoDB PutItem(${this.#table}) shadow of ${record.taskId}`, error);
    }
  }

  async getShadow(taskId: string): Promise<ShadowRecord | undefined> {
    try {
      const { Item } = await this.#ddb.send(
        new GetItemCommand({
          TableName: this.#table,
          Key: { id: { S: `${SHADOW_PREFIX}${taskId}` } },
          ConsistentRead: true,
        }),
      );
      return Item ? toRecord(Item) : undefined;
    } catch (error) {
      throw backendError(`DynamoDB GetItem(${this.#table}) shadow of ${taskId}`, error);
    }
  }

  async listShadows(query: ShadowQuery = {}): Promise<ShadowRecord[]> {
    const records: ShadowRecord[] = [];
    let start: Record<string, AttributeValue> | undefined;
    const byTask = query.taskName !== undefined;
    do {
      let page: ScanCommandOutput;
      try {
        page = await this.#ddb.send(
          new ScanCommand({
            TableName: this.#table,
            FilterExpression: `begins_with(id, :prefix)${byTask ? ' AND #task = :task' : ''}`,
            ...(byTask ? { ExpressionAttributeNames: { '#task': 'task' } } : {}),
            ExpressionAttributeValues: {
              ':prefix': { S: SHADOW_PREFIX },
              ...(byTask ? { ':task': { S: query.taskName as string } } : {}),
            },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
      } catch (error) {
        throw backendError(`DynamoDB Scan(${this.#table}) shadow results`, error);
      }
      for (const item of page.Items ?? []) {
        const record = toRecord(item);
        if (record) records.push(record);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    records.sort((a, b) => b.storedAtMs - a.storedAtMs);
    return query.limit === undefined ? records : records.slice(0, query.limit);
  }
}
