/**
 * The task index on DynamoDB: queries the two sparse indexes `ResultStore({ taskIndex: true })` adds to the
 * results table (`src/config/task-index.ts`). A query asks every shard of its key (8 Query requests, run at
 * once), newest first, and merges them; with both a state and a name it reads the name index and keeps the
 * items in that state.
 */
import { type AttributeValue, type DynamoDBClient, paginateQuery } from '@aws-sdk/client-dynamodb';
import { TASK_INDEX } from '../config/task-index.js';
import { InvalidOptionError } from '../errors.js';
import type { TaskIndex, TaskIndexEntry, TaskIndexQuery } from '../ports/task-index.js';
import { backendError } from './aws-error.js';

const TASK_KEY = /^b'celery-task-meta-(.*)'$/;
const DEFAULT_WINDOW_MS = 3_600_000;

/** The value part of `<value>#<shard>`. */
const keyValue = (key: string | undefined): string | undefined =>
  key === undefined ? undefined : key.slice(0, key.lastIndexOf('#'));

function toEntry(item: Record<string, AttributeValue>): TaskIndexEntry | undefined {
  const taskId = TASK_KEY.exec(item.id?.S ?? '')?.[1];
  const state = keyValue(item[TASK_INDEX.STATE_KEY]?.S);
  if (taskId === undefined || state === undefined) return undefined;
  return {
    taskId,
    name: keyValue(item[TASK_INDEX.NAME_KEY]?.S),
    state,
    updatedAtMs: Math.round(Number(item.timestamp?.N ?? 0) * 1000),
  };
}

/** {@link TaskIndex} on the results table's sparse indexes. */
export class DynamoDbTaskIndex implements TaskIndex {
  readonly #ddb: DynamoDBClient;
  readonly #table: string;
  readonly #now: () => number;

  constructor(ddb: DynamoDBClient, options: { readonly tableName: string; readonly now?: () => number }) {
    this.#ddb = ddb;
    this.#table = options.tableName;
    this.#now = options.now ?? Date.now;
  }

  async query(query: TaskIndexQuery): Promise<TaskIndexEntry[]> {
    const limit = query.limit ?? 100;
    if (query.state === undefined && query.name === undefined) {
      throw InvalidOptionError.expected('query', 'a `state`, a `name`, or both', query);
    }
    if (!Number.isInteger(limit) || limit < 1)
      throw InvalidOptionError.expected('limit', 'a whole number >= 1', limit);
    const untilMs = query.untilMs ?? this.#now();
    const sinceMs = query.sinceMs ?? untilMs - DEFAULT_WINDOW_MS;
    const byName = query.name !== undefined;
    const shards = Array.from({ length: TASK_INDEX.SHARDS }, (_, shard) =>
      this.#queryShard(
        `${byName ? query.name : query.state}#${shard}`,
        byName,
        query.state,
        sinceMs,
        untilMs,
        limit,
      ),
    );
    const entries = (await Promise.all(shards)).flat();
    return entries.sort((a, b) => b.updatedAtMs - a.updatedAtMs).slice(0, limit);
  }

  async #queryShard(
    key: string,
    byName: boolean,
    state: string | undefined,
    sinceMs: number,
    untilMs: number,
    limit: number,
  ): Promise<TaskIndexEntry[]> {
    const out: TaskIndexEntry[] = [];
    const filter = byName && state !== undefined;
    const pages = paginateQuery(
      { client: this.#ddb },
      {
        TableName: this.#table,
        IndexName: byName ? TASK_INDEX.BY_NAME : TASK_INDEX.BY_STATE,
        KeyConditionExpression: '#pk = :pk AND #ts BETWEEN :since AND :until',
        ...(filter ? { FilterExpression: 'begins_with(#state, :state)' } : {}),
        ExpressionAttributeNames: {
          '#pk': byName ? TASK_INDEX.NAME_KEY : TASK_INDEX.STATE_KEY,
          '#ts': TASK_INDEX.SORT_KEY,
          ...(filter ? { '#state': TASK_INDEX.STATE_KEY } : {}),
        },
        ExpressionAttributeValues: {
          ':pk': { S: key },
          ':since': { N: String(sinceMs / 1000) },
          ':until': { N: String(untilMs / 1000) },
          ...(filter ? { ':state': { S: `${state}#` } } : {}),
        },
        ScanIndexForward: false,
        Limit: limit,
      },
    );
    try {
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          const entry = toEntry(item);
          if (entry) out.push(entry);
        }
        if (out.length >= limit) break;
      }
    } catch (error) {
      throw backendError(`DynamoDB Query(${this.#table}, task index)`, error);
    }
    return out;
  }
}
