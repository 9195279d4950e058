/**
 * The monitoring store in the results table, beside the results and out of Celery's way: worker, control and
 * reply records are items keyed `celeriac-worker-<id>`, `celeriac-control-<id>` and
 * `celeriac-reply-<command>-<worker>` (Celery's keys all start with `b'`), each with a `ttl`, its JSON in
 * `monitoring`, and the task index's state key set to `WORKER#0`, `CONTROL#0` or `REPLY#0`, so each kind is listed
 * by one Query on the `celeriac-by-state` index, sorted by `timestamp`. It therefore needs the task index
 * (`ResultStore({ taskIndex: true })`).
 */
import { type DynamoDBClient, PutItemCommand, paginateQuery } from '@aws-sdk/client-dynamodb';
import { TASK_INDEX } from '../config/task-index.js';
import { isControlReply, isWorkerRecord } from '../monitoring/monitoring-records.js';
import type {
  ControlCommand,
  ControlReply,
  MonitoringStore,
  StoredControl,
  WorkerRecord,
} from '../ports/monitoring-store.js';
import { backendError } from './aws-error.js';
import { celeryTimestamp, ttlEpochSeconds } from './celery-keys.js';

/** The kinds of monitoring record, as their index key value. */
const Kind = { WORKER: 'WORKER', CONTROL: 'CONTROL', REPLY: 'REPLY' } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/** {@link MonitoringStore} in the results table. */
export class DynamoDbMonitoringStore implements MonitoringStore {
  readonly #ddb: DynamoDBClient;
  readonly #table: string;
  readonly #now: () => number;

  constructor(ddb: DynamoDBClient, options: { readonly tableName: string; readonly now?: () => number }) {
    this.#ddb = ddb;
    this.#table = options.tableName;
    this.#now = options.now ?? Date.now;
  }

  async #put(kind: Kind, id: string, atMs: number, body: unknown, ttlSeconds: number): Promise<void> {
    try {
      await this.#ddb.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            id: { S: id },
            [TASK_INDEX.STATE_KEY]: { S: `${kind}#0` },
            [TASK_INDEX.SORT_KEY]: { N: celeryTimestamp(atMs) },
            ttl: { N: ttlEpochSeconds(this.#now(), ttlSeconds) },
            [TASK_INDEX.MONITORING_BODY]: { S: JSON.stringify(body) },
          },
        }),
      );
    } catch (error) {
      throw backendError(`DynamoDB PutItem(${this.#table}) ${kind.toLowerCase()} record`, error);
    }
  }

  /** The records of a kind written at or after `sinceMs`, oldest first, as `[id, JSON text]`. */
  async #list(kind: Kind, sinceMs: number): Promise<Array<{ id: string; body: string }>> {
    const out: Array<{ id: string; body: string }> = [];
    const pages = paginateQuery(
      { client: this.#ddb },
      {
        TableName: this.#table,
        IndexName: TASK_INDEX.BY_STATE,
        KeyConditionExpression: '#pk = :pk AND #ts >= :since',
        ExpressionAttributeNames: { '#pk': TASK_INDEX.STATE_KEY, '#ts': TASK_INDEX.SORT_KEY },
        ExpressionAttributeValues: {
          ':pk': { S: `${kind}#0` },
          ':since': { N: celeryTimestamp(sinceMs) },
        },
      },
    );
    try {
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          const id = item.id?.S;
          const body = item[TASK_INDEX.MONITORING_BODY]?.S;
          if (id !== undefined && body !== undefined) out.push({ id, body });
        }
      }
    } catch (error) {
      throw backendError(`DynamoDB Query(${this.#table}) ${kind.toLowerCase()} records`, error);
    }
    return out;
  }

  putWorker(record: WorkerRecord, ttlSeconds: number): Promise<void> {
    return this.#put(
      Kind.WORKER,
      `celeriac-worker-${record.workerId}`,
      record.heartbeatAtMs,
      record,
      ttlSeconds,
    );
  }

  async listWorkers(sinceMs: number): Promise<WorkerRecord[]> {
    return (await this.#list(Kind.WORKER, sinceMs)).flatMap(({ body }) => parsed(body, isWorkerRecord));
  }

  putControl(command: ControlCommand, ttlSeconds: number): Promise<void> {
    return this.#put(
      Kind.CONTROL,
      `celeriac-control-${command.id}`,
      command.createdAtMs,
      command,
      ttlSeconds,
    );
  }

  async listControls(sinceMs: number): Promise<StoredControl[]> {
    return (await this.#list(Kind.CONTROL, sinceMs)).map(({ id, body }) => ({
      id: id.slice('celeriac-control-'.length),
      body,
    }));
  }

  putReply(reply: ControlReply, ttlSeconds: number): Promise<void> {
    const id = `celeriac-reply-${reply.commandId}-${reply.workerId}`;
    return this.#put(Kind.REPLY, id, reply.atMs, reply, ttlSeconds);
  }

  async listReplies(commandId: string, sinceMs: number): Promise<ControlReply[]> {
    const prefix = `celeriac-reply-${commandId}-`;
    return (await this.#list(Kind.REPLY, sinceMs))
      .filter(({ id }) => id.startsWith(prefix))
      .flatMap(({ body }) => parsed(body, isControlReply));
  }
}

/** A record's JSON, or nothing when it is not JSON of the record's shape (someone else's item, a damaged one). */
function parsed<T>(body: string, isRecord: (value: unknown) => value is T): T[] {
  try {
    const value: unknown = JSON.parse(body);
    return isRecord(value) ? [value] : [];
  } catch {
    return [];
  }
}
