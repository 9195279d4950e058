/**
 * The result store on DynamoDB, in the item format of Celery's DynamoDB backend (`celery/backends/dynamodb.py`),
 * so Python's `AsyncResult` reads what celeriac writes and the other way round:
 *
 * | attribute   | type | holds                                                                  |
 * |-------------|------|------------------------------------------------------------------------|
 * | `id`        | S    | `b'celery-task-meta-<id>'`: Python's repr of the bytes key, quirk kept  |
 * | `result`    | B    | UTF-8 kombu JSON of the result meta                                    |
 * | `timestamp` | N    | seconds since the epoch, when written                                  |
 * | `ttl`       | N    | epoch seconds for DynamoDB TTL, only when a result TTL is configured    |
 *
 * celeriac adds attributes Python ignores, so one conditional write can claim a task id:
 * `task_state` (S, the lifecycle state), `task_attempt` (N, the lowest `retries` that may still claim),
 * `lease_owner` (S) and `lease_expires_at` (N, epoch ms). The claim's condition mirrors `ports/claim-rules.ts`:
 *
 * ```
 *   attribute_not_exists(id)                                   never seen: claim
 *   OR (  not finished (SUCCESS, FAILURE, REVOKED)             finished: refuse
 *     AND task_attempt <= this attempt                         older attempt of a retried task: refuse
 *     AND (no lease OR lease_expires_at <= now OR owner = me)  live lease of another delivery: refuse
 *   )
 * ```
 * Items written by Python have no `task_state`; they count as unfinished (Celery keeps no such marker).
 *
 * A task id nothing is stored for (the common case) is claimed with one conditional PutItem of the whole item;
 * only when an item exists (a retry, a redelivery, a revoke) does the claim fall back to the UpdateItem above.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { type ClaimRecord, decideClaim } from '../ports/claim-rules.js';
import type {
  ClaimOutcome,
  ClaimRequest,
  CompleteRequest,
  PutOptions,
  ResultStore,
} from '../ports/result-store.js';
import {
  decodeResultMeta,
  encodeResultMeta,
  pendingResultMeta as pendingMeta,
  type ResultMeta,
} from '../protocol/result-meta.js';
import { kombuJsonDumps } from '../protocol/type-tags.js';
import { awsErrorName, backendError } from './aws-error.js';

/** Celery's key for a task's result: the Python repr of `b'celery-task-meta-<id>'`. */
export function celeryTaskKey(taskId: string): string {
  return `b'celery-task-meta-${taskId}'`;
}

/** Celery's key for a saved group: the Python repr of `b'celery-taskset-meta-<id>'`. */
export function celeryGroupKey(groupId: string): string {
  return `b'celery-taskset-meta-${groupId}'`;
}

/** Celery's key for a chord counter: the Python repr of `b'chord-unlock-<id>'`. */
export function celeryChordCounterKey(groupId: string): string {
  return `b'chord-unlock-${groupId}'`;
}

/** Celery's `timestamp` attribute: seconds since the epoch, as a decimal. */
function timestampOf(nowMs: number): string {
  return String(nowMs / 1000);
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

const FINISHED = { ':success': { S: 'SUCCESS' }, ':failure': { S: 'FAILURE' }, ':revoked': { S: 'REVOKED' } };

/** Options for {@link DynamoDbResultStore}. */
export interface DynamoDbResultStoreOptions {
  readonly tableName: string;
  /** Read results with strongly consistent reads (twice the read cost). Default false, as Celery reads. */
  readonly consistentRead?: boolean;
}

/** {@link ResultStore} on DynamoDB in Celery's item format. */
export class DynamoDbResultStore implements ResultStore {
  readonly #ddb: DynamoDBClient;
  readonly #table: string;
  readonly #consistent: boolean;

  constructor(ddb: DynamoDBClient, options: DynamoDbResultStoreOptions) {
    this.#ddb = ddb;
    this.#table = options.tableName;
    this.#consistent = options.consistentRead ?? false;
  }

  #key(taskId: string): Record<string, AttributeValue> {
    return { id: { S: celeryTaskKey(taskId) } };
  }

  async get(taskId: string): Promise<ResultMeta | undefined> {
    let item: Record<string, AttributeValue> | undefined;
    try {
      ({ Item: item } = await this.#ddb.send(
        new GetItemCommand({
          TableName: this.#table,
          Key: this.#key(taskId),
          ConsistentRead: this.#consistent,
        }),
      ));
    } catch (error) {
      throw backendError(`DynamoDB GetItem(${this.#table})`, error, this.#hint(error));
    }
    const bytes = item?.result?.B;
    if (!bytes) return undefined;
    return decodeResultMeta(utf8Decoder.decode(bytes));
  }

  async put(taskId: string, meta: ResultMeta, options: PutOptions): Promise<boolean> {
    const values: Record<string, AttributeValue> = {
      ':result': { B: utf8.encode(encodeResultMeta(meta)) },
      ':timestamp': { N: timestampOf(options.nowMs) },
      ':state': { S: meta.status },
      ':success': FINISHED[':success'],
    };
    let set = '#result = :result, #timestamp = :timestamp, task_state = :state';
    if (options.ttlSeconds !== undefined) {
      set += ', #ttl = :ttl';
      values[':ttl'] = { N: String(Math.floor(options.nowMs / 1000) + options.ttlSeconds) };
    }
    if (options.owner !== undefined) {
      // A running task's progress: only while its claim is held, so it can never replace a final state.
      values[':owner'] = { S: options.owner };
      delete values[':success'];
    } else {
      const item = {
        ...this.#key(taskId),
        result: values[':result'],
        timestamp: values[':timestamp'],
        task_state: values[':state'],
      };
      if (await this.#createIfAbsent('put', values[':ttl'] ? { ...item, ttl: values[':ttl'] } : item))
        return true;
      if (options.onlyIfAbsent) return false;
    }
    return this.#conditionalUpdate('put', taskId, {
      UpdateExpression: `SET ${set}`,
      ConditionExpression:
        options.owner === undefined
          ? 'attribute_not_exists(task_state) OR task_state <> :success'
          : 'lease_owner = :owner',
      ExpressionAttributeNames: {
        '#result': 'result',
        '#timestamp': 'timestamp',
        ...(options.ttlSeconds === undefined ? {} : { '#ttl': 'ttl' }),
      },
      ExpressionAttributeValues: values,
    });
  }

  async claim(request: ClaimRequest): Promise<ClaimOutcome> {
    const names: Record<string, string> = { '#result': 'result', '#timestamp': 'timestamp' };
    const values: Record<string, AttributeValue> = {
      ...FINISHED,
      ':owner': { S: request.owner },
      ':expires': { N: String(request.nowMs + request.leaseMs) },
      ':now': { N: String(request.nowMs) },
      ':attempt': { N: String(request.attempt) },
      ':timestamp': { N: timestampOf(request.nowMs) },
    };
    const sets = [
      'lease_owner = :owner',
      'lease_expires_at = :expires',
      'task_attempt = :attempt',
      '#timestamp = :timestamp',
    ];
    if (request.runningMeta) {
      sets.push('#result = :running', 'task_state = :state');
      values[':running'] = { B: utf8.encode(encodeResultMeta(request.runningMeta)) };
      values[':state'] = { S: request.runningMeta.status };
    } else {
      sets.push(
        '#result = if_not_exists(#result, :pending)',
        'task_state = if_not_exists(task_state, :pendingState)',
      );
      values[':pending'] = { B: utf8.encode(encodeResultMeta(pendingMeta(request.taskId))) };
      values[':pendingState'] = { S: 'PENDING' };
    }
    if (request.ttlSeconds !== undefined) {
      sets.push('#ttl = :ttl');
      names['#ttl'] = 'ttl';
      values[':ttl'] = { N: String(Math.floor(request.nowMs / 1000) + request.ttlSeconds) };
    }
    const created = await this.#createIfAbsent('claim', {
      ...this.#key(request.taskId),
      result: { B: utf8.encode(encodeResultMeta(request.runningMeta ?? pendingMeta(request.taskId))) },
      timestamp: { N: timestampOf(request.nowMs) },
      task_state: { S: request.runningMeta?.status ?? 'PENDING' },
      task_attempt: { N: String(request.attempt) },
      lease_owner: { S: request.owner },
      lease_expires_at: { N: String(request.nowMs + request.leaseMs) },
      ...(request.ttlSeconds === undefined
        ? {}
        : { ttl: { N: String(Math.floor(request.nowMs / 1000) + request.ttlSeconds) } }),
    });
    if (created) return { kind: 'claimed' };
    try {
      await this.#ddb.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: this.#key(request.taskId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression:
            'attribute_not_exists(id) OR (' +
            '(attribute_not_exists(task_state) OR NOT (task_state IN (:success, :failure, :revoked))) ' +
            'AND (attribute_not_exists(task_attempt) OR task_attempt <= :attempt) ' +
            'AND (attribute_not_exists(lease_expires_at) OR lease_expires_at <= :now OR lease_owner = :owner))',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'claimed' };
    } catch (error) {
      if (isConditionFailure(error)) {
        const old = (error as ConditionalCheckFailedException).Item;
        const outcome = decideClaim(old ? toClaimRecord(old) : undefined, request);
        // The condition and the rules agree; if they seem not to, the record changed in between: back off.
        return outcome.kind === 'claimed'
          ? { kind: 'busy', leaseExpiresAtMs: request.nowMs + 1000 }
          : outcome;
      }
      throw backendError(`DynamoDB UpdateItem(${this.#table}) claim`, error, this.#hint(error));
    }
  }

  async renewClaim(request: {
    taskId: string;
    owner: string;
    leaseMs: number;
    nowMs: number;
  }): Promise<boolean> {
    return this.#conditionalUpdate('renew', request.taskId, {
      UpdateExpression: 'SET lease_expires_at = :expires',
      ConditionExpression: 'lease_owner = :owner',
      ExpressionAttributeValues: {
        ':expires': { N: String(request.nowMs + request.leaseMs) },
        ':owner': { S: request.owner },
      },
    });
  }

  async complete(request: CompleteRequest): Promise<void> {
    const names: Record<string, string> = { '#result': 'result', '#timestamp': 'timestamp' };
    const values: Record<string, AttributeValue> = {
      ':state': { S: request.state },
      ':attempt': { N: String(request.state === 'RETRY' ? request.attempt + 1 : request.attempt) },
      ':success': FINISHED[':success'],
    };
    const sets = ['task_state = :state', 'task_attempt = :attempt'];
    if (request.meta) {
      sets.push('#result = :result', '#timestamp = :timestamp');
      values[':result'] = { B: utf8.encode(encodeResultMeta(request.meta)) };
      values[':timestamp'] = { N: timestampOf(request.nowMs) };
    } else {
      sets.push(
        '#result = if_not_exists(#result, :pending)',
        '#timestamp = if_not_exists(#timestamp, :timestamp)',
      );
      values[':pending'] = { B: utf8.encode(encodeResultMeta(pendingMeta(request.taskId))) };
      values[':timestamp'] = { N: timestampOf(request.nowMs) };
    }
    if (request.ttlSeconds !== undefined) {
      sets.push('#ttl = :ttl');
      names['#ttl'] = 'ttl';
      values[':ttl'] = { N: String(Math.floor(request.nowMs / 1000) + request.ttlSeconds) };
    }
    values[':owner'] = { S: request.owner };
    await this.#conditionalUpdate('complete', request.taskId, {
      UpdateExpression: `SET ${sets.join(', ')} REMOVE lease_owner, lease_expires_at`,
      // Not over a SUCCESS (Celery's guard), and not when another delivery took the claim over.
      ConditionExpression:
        '(attribute_not_exists(task_state) OR task_state <> :success) AND ' +
        '(attribute_not_exists(lease_owner) OR lease_owner = :owner)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  async forget(taskId: string): Promise<void> {
    try {
      await this.#ddb.send(new DeleteItemCommand({ TableName: this.#table, Key: this.#key(taskId) }));
    } catch (error) {
      throw backendError(`DynamoDB DeleteItem(${this.#table})`, error, this.#hint(error));
    }
  }

  async saveGroup(groupId: string, memberIds: readonly string[], nowMs: number): Promise<void> {
    // Celery's `_save_group`: {"result": [[gid, null], [[[child, null], null], ...]]}, then the counter at 0.
    const meta = { result: [[groupId, null], memberIds.map((id) => [[id, null], null])] };
    try {
      await this.#ddb.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            id: { S: celeryGroupKey(groupId) },
            result: { B: utf8.encode(kombuJsonDumps(meta)) },
            timestamp: { N: timestampOf(nowMs) },
          },
        }),
      );
      await this.#ddb.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            id: { S: celeryChordCounterKey(groupId) },
            chord_count: { N: '0' },
            timestamp: { N: timestampOf(nowMs) },
          },
        }),
      );
    } catch (error) {
      throw backendError(`DynamoDB PutItem(${this.#table}) group`, error, this.#hint(error));
    }
  }

  async getGroupMembers(groupId: string): Promise<string[] | undefined> {
    let item: Record<string, AttributeValue> | undefined;
    try {
      ({ Item: item } = await this.#ddb.send(
        new GetItemCommand({
          TableName: this.#table,
          Key: { id: { S: celeryGroupKey(groupId) } },
          ConsistentRead: true,
        }),
      ));
    } catch (error) {
      throw backendError(`DynamoDB GetItem(${this.#table}) group`, error, this.#hint(error));
    }
    const bytes = item?.result?.B;
    if (!bytes) return undefined;
    return groupMemberIds(JSON.parse(utf8Decoder.decode(bytes)) as unknown);
  }

  async incrementChordCounter(
    groupId: string,
    memberId: string,
  ): Promise<{ count: number; counted: boolean }> {
    const key = { id: { S: celeryChordCounterKey(groupId) } };
    try {
      // Celery increments `chord_count` (`SET chord_count = chord_count + :num`). celeriac also adds the member to a
      // set in the same item, and increments only if it is not in the set yet, so a redelivered member is counted
      // once; Python workers sharing the chord increment the same `chord_count`.
      const { Attributes } = await this.#ddb.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: 'ADD chord_count :num, chord_members :member',
          ConditionExpression: 'attribute_not_exists(chord_members) OR NOT contains(chord_members, :id)',
          ExpressionAttributeValues: {
            ':num': { N: '1' },
            ':member': { SS: [memberId] },
            ':id': { S: memberId },
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return { count: Number(Attributes?.chord_count?.N ?? '0'), counted: true };
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw backendError(`DynamoDB UpdateItem(${this.#table}) chord counter`, error, this.#hint(error));
      }
    }
    try {
      const { Item } = await this.#ddb.send(
        new GetItemCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
      );
      return { count: Number(Item?.chord_count?.N ?? '0'), counted: false };
    } catch (error) {
      throw backendError(`DynamoDB GetItem(${this.#table}) chord counter`, error, this.#hint(error));
    }
  }

  async deleteChord(groupId: string): Promise<void> {
    try {
      await this.#ddb.send(
        new DeleteItemCommand({ TableName: this.#table, Key: { id: { S: celeryGroupKey(groupId) } } }),
      );
      await this.#ddb.send(
        new DeleteItemCommand({ TableName: this.#table, Key: { id: { S: celeryChordCounterKey(groupId) } } }),
      );
    } catch (error) {
      throw backendError(`DynamoDB DeleteItem(${this.#table}) chord`, error, this.#hint(error));
    }
  }

  /**
   * Writes a whole new item in one PutItem, if none exists under its key; false when one does. A new item is
   * written whole rather than built by UpdateItem so that no reader can ever see it without its `result` (DynamoDB
   * applies an UpdateItem atomically, but emulators such as moto build a new item attribute by attribute, and
   * Python's reader fails on an item that lacks `result`).
   */
  async #createIfAbsent(what: string, item: Record<string, AttributeValue | undefined>): Promise<boolean> {
    try {
      await this.#ddb.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: item as Record<string, AttributeValue>,
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) {
        return false;
      }
      throw backendError(`DynamoDB PutItem(${this.#table}) ${what}`, error, this.#hint(error));
    }
  }

  /** Runs a conditional UpdateItem; false when the condition refused it. */
  async #conditionalUpdate(
    what: string,
    taskId: string,
    input: {
      UpdateExpression: string;
      ConditionExpression: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues: Record<string, AttributeValue>;
    },
  ): Promise<boolean> {
    try {
      await this.#ddb.send(
        new UpdateItemCommand({ TableName: this.#table, Key: this.#key(taskId), ...input }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) {
        return false;
      }
      throw backendError(`DynamoDB UpdateItem(${this.#table}) ${what}`, error, this.#hint(error));
    }
  }

  #hint(error: unknown): string {
    return awsErrorName(error) === 'ResourceNotFoundException'
      ? `The results table ${JSON.stringify(this.#table)} does not exist: deploy it (the ResultStore construct) or set \`resultTable\` / CELERIAC_RESULT_TABLE`
      : '';
  }
}

/** The member ids in Celery's saved-group meta `{"result": [[gid, parent], [[[id, parent], null], ...]]}`. */
function groupMemberIds(meta: unknown): string[] | undefined {
  const result = (meta as { result?: unknown } | null)?.result;
  if (!Array.isArray(result) || !Array.isArray(result[1])) return undefined;
  return (result[1] as unknown[]).flatMap((child) => {
    const id = Array.isArray(child) && Array.isArray(child[0]) ? child[0][0] : undefined;
    return typeof id === 'string' ? [id] : [];
  });
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    awsErrorName(error) === 'ConditionalCheckFailedException'
  );
}

function toClaimRecord(item: Record<string, AttributeValue>): ClaimRecord {
  const number = (value: AttributeValue | undefined): number | undefined =>
    value?.N === undefined ? undefined : Number(value.N);
  return {
    ...(item.task_state?.S === undefined ? {} : { state: item.task_state.S }),
    ...(item.task_attempt?.N === undefined ? {} : { minAttempt: number(item.task_attempt) }),
    ...(item.lease_owner?.S === undefined ? {} : { leaseOwner: item.lease_owner.S }),
    ...(item.lease_expires_at?.N === undefined ? {} : { leaseExpiresAtMs: number(item.lease_expires_at) }),
  } as ClaimRecord;
}

/**
 * Creates a results table in Celery's schema (partition key `id`, on-demand) with TTL on `ttl`, if missing.
 * For local runs and tests; deployments get the table from the ResultStore construct.
 */
export async function ensureResultTable(ddb: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (awsErrorName(error) !== 'ResourceNotFoundException')
      throw backendError('DynamoDB DescribeTable', error);
  }
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (awsErrorName(error) !== 'ResourceInUseException') throw backendError('DynamoDB CreateTable', error);
  }
  for (let waited = 0; ; waited += 500) {
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    if (waited > 120_000)
      throw backendError('DynamoDB CreateTable', new Error(`${tableName} is not ACTIVE after 2 minutes`));
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await ddb.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' },
    }),
  );
}
