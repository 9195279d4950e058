/**
 * The result store on DynamoDB, in the item format of Celery's DynamoDB backend (`celery/backends/dynamodb.py`),
 * so Python's `AsyncResult` reads what celeriac writes and the other way round. The pieces:
 *
 * - `celery-keys.ts`: Celery's keys (`b'celery-task-meta-<id>'`, ...) and timestamp;
 * - `result-item.ts`: the item's attributes, built once per write, rendered as a new item or an update;
 * - `result-conditions.ts`: each write's condition, as named fragments beside what a refusal means;
 * - `ensure-result-table.ts`: table provisioning for local runs and tests.
 *
 * A task id nothing is stored for (the common case) is claimed with one conditional PutItem of the whole item;
 * only when an item exists (a retry, a redelivery, a revoke) does the claim fall back to a conditional
 * UpdateItem. A new item is written whole rather than built by UpdateItem so that no reader ever sees it without
 * its `result`: DynamoDB applies an UpdateItem atomically, but emulators such as moto build a new item attribute
 * by attribute, and Python's reader fails on an item that lacks `result`.
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
import { decideClaim } from '../ports/claim-rules.js';
import type {
  ChordCount,
  ClaimOutcome,
  ClaimRequest,
  CompleteRequest,
  PutOptions,
  ReleaseClaimRequest,
  RenewClaimRequest,
  ResultStore,
} from '../ports/result-store.js';
import { DYNAMODB_MAX_ITEM_BYTES } from '../ports/service-limits.js';
import { PayloadTooLargeError } from '../protocol/errors.js';
import { decodeResultMeta, type ResultMeta } from '../protocol/result-meta.js';
import { awsErrorName, backendError } from './aws-error.js';
import { encodeGroupMeta, groupMemberIds } from './celery-group-meta.js';
import { celeryChordCounterKey, celeryGroupKey, celeryTaskKey, celeryTimestamp } from './celery-keys.js';
import { batchGetItems } from './dynamodb-batch-get.js';
import { batchPutItems } from './dynamodb-batch-write.js';
import {
  allOf,
  type Condition,
  claimCondition,
  completeCondition,
  completeOnceCondition,
  heldBy,
  ITEM_ABSENT,
  isConditionFailure,
  joinableBy,
  NOT_REVOKED,
  NOT_SUCCESS,
  notCountedYet,
} from './result-conditions.js';
import {
  asNewItem,
  asUpdate,
  claimWrite,
  completeWrite,
  type ItemWrite,
  putWrite,
  toClaimRecord,
  type UpdateInput,
} from './result-item.js';
import { withIndexKeys } from './task-index-attributes.js';

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** The largest saved-group meta: a DynamoDB item, less room for its key and timestamp. */
const SAVED_GROUP_MAX_BYTES = DYNAMODB_MAX_ITEM_BYTES - 1024;

/** Options for {@link DynamoDbResultStore}. */
export interface DynamoDbResultStoreOptions {
  readonly tableName: string;
  /** Read results with strongly consistent reads (twice the read cost). Default false, as Celery reads. */
  readonly consistentRead?: boolean;
  /**
   * Write the task index's keys (`idx_state`, `idx_name`) on result items, for the indexes
   * `ResultStore({ taskIndex: true })` creates (docs/monitoring.md). No extra request. Default false.
   */
  readonly taskIndex?: boolean;
  /**
   * Read results exactly, as the app's `exactValues` reads task arguments: integers beyond 2^53 as `bigint`,
   * integral floats as `PythonFloat`, datetimes as `PythonDateTime` (docs/security.md, "Exact values").
   * Writes are exact either way. Default false.
   */
  readonly exact?: boolean;
}

/** {@link ResultStore} on DynamoDB in Celery's item format. */
export class DynamoDbResultStore implements ResultStore {
  readonly #ddb: DynamoDBClient;
  readonly #table: string;
  readonly #consistent: boolean;
  readonly #indexed: boolean;
  readonly #exact: boolean;

  constructor(ddb: DynamoDBClient, options: DynamoDbResultStoreOptions) {
    this.#ddb = ddb;
    this.#table = options.tableName;
    this.#consistent = options.consistentRead ?? false;
    this.#indexed = options.taskIndex ?? false;
    this.#exact = options.exact ?? false;
  }

  /** The write, with the task index's keys when indexing is on. */
  #withIndex(write: ItemWrite, taskId: string, taskName?: string): ItemWrite {
    return this.#indexed ? withIndexKeys(write, taskId, taskName) : write;
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
    return this.#meta(item);
  }

  async getMany(taskIds: readonly string[]): Promise<(ResultMeta | undefined)[]> {
    const items = await batchGetItems(this.#ddb, this.#table, taskIds.map(celeryTaskKey), {
      keyAttribute: 'id',
      consistentRead: this.#consistent,
      hint: (error) => this.#hint(error),
    });
    return items.map((item) => this.#meta(item));
  }

  /** The meta an item holds, or `undefined` for no item (or one without a result). */
  #meta(item: Record<string, AttributeValue> | undefined): ResultMeta | undefined {
    const bytes = item?.result?.B;
    if (!bytes) return undefined;
    return decodeResultMeta(utf8Decoder.decode(bytes), { exact: this.#exact });
  }

  async put(taskId: string, meta: ResultMeta, options: PutOptions): Promise<boolean> {
    const write = this.#withIndex(putWrite(meta, options), taskId);
    // A running task's progress: only while its claim is held, so it can never replace a final state.
    if (options.owner !== undefined) return this.#update('put', taskId, write, heldBy(options.owner));
    if (await this.#create('put', taskId, write)) return true;
    if (options.onlyIfAbsent) return false;
    return this.#update('put', taskId, write, NOT_SUCCESS);
  }

  async claim(request: ClaimRequest): Promise<ClaimOutcome> {
    const write = this.#withIndex(claimWrite(request), request.taskId, request.taskName);
    if (await this.#create('claim', request.taskId, write)) return { kind: 'claimed' };
    try {
      await this.#ddb.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: this.#key(request.taskId),
          ...asUpdate(write, claimCondition(request)),
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

  async renewClaim(request: RenewClaimRequest): Promise<boolean> {
    return this.#update(
      'renew',
      request.taskId,
      { set: { lease_expires_at: { N: String(request.nowMs + request.leaseMs) } } },
      allOf(heldBy(request.owner), NOT_REVOKED),
    );
  }

  async releaseClaim(request: ReleaseClaimRequest): Promise<boolean> {
    return this.#update(
      'release',
      request.taskId,
      { set: {}, remove: ['lease_owner', 'lease_expires_at'] },
      heldBy(request.owner),
    );
  }

  async complete(request: CompleteRequest): Promise<void> {
    // Refused: a SUCCESS is kept, or another delivery took the claim over and records the outcome itself.
    const write = this.#withIndex(completeWrite(request), request.taskId);
    await this.#update('complete', request.taskId, write, completeCondition(request.owner));
  }

  completeOnce(request: CompleteRequest): Promise<boolean> {
    const write = this.#withIndex(completeWrite(request), request.taskId);
    return this.#update('complete', request.taskId, write, completeOnceCondition(request));
  }

  async completeMany(requests: readonly CompleteRequest[]): Promise<void> {
    const items = requests.map((request) =>
      asNewItem(this.#key(request.taskId), this.#withIndex(completeWrite(request), request.taskId)),
    );
    await batchPutItems(
      this.#ddb,
      this.#table,
      items,
      (item) => item.id?.S ?? '',
      (error) => this.#hint(error),
    );
  }

  async forget(taskId: string): Promise<void> {
    try {
      await this.#ddb.send(new DeleteItemCommand({ TableName: this.#table, Key: this.#key(taskId) }));
    } catch (error) {
      throw backendError(`DynamoDB DeleteItem(${this.#table})`, error, this.#hint(error));
    }
  }

  async saveGroup(groupId: string, memberIds: readonly string[], nowMs: number): Promise<void> {
    // Celery's `_save_group`: the saved-group meta, then the chord counter at 0.
    const meta = utf8.encode(encodeGroupMeta(groupId, memberIds));
    if (meta.length > SAVED_GROUP_MAX_BYTES) {
      // Refused here, before any member is sent, with what to do, rather than as DynamoDB's ValidationException.
      throw PayloadTooLargeError.of(
        `saved group ${groupId} of ${memberIds.length} members`,
        meta.length,
        SAVED_GROUP_MAX_BYTES,
        "A saved group is one DynamoDB item in Celery's format, about 56 bytes a member, so a group or chord holds at most about 7,000 members: split the work into several, or into chunks (`task.chunks`).",
      );
    }
    try {
      await this.#ddb.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            id: { S: celeryGroupKey(groupId) },
            result: { B: meta },
            timestamp: { N: celeryTimestamp(nowMs) },
          },
        }),
      );
      await this.#ddb.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            id: { S: celeryChordCounterKey(groupId) },
            chord_count: { N: '0' },
            timestamp: { N: celeryTimestamp(nowMs) },
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
    positions: readonly number[],
  ): Promise<ChordCount | undefined> {
    const key = { id: { S: celeryChordCounterKey(groupId) } };
    let pending = [...new Set(positions)];
    // Each pass either counts every pending member in one write or learns which were counted before; a member
    // counted meanwhile by another worker drops out, so the passes end.
    while (pending.length > 0) {
      const counted = notCountedYet(pending);
      try {
        // Celery increments `chord_count` (`SET chord_count = chord_count + :num`). celeriac also adds the members'
        // positions in the saved group to a number set in the same item, and increments only if none is in the
        // set yet, so a redelivered member is counted once; Python workers sharing the chord increment the same
        // `chord_count`. Positions, not task ids: a few bytes a member instead of 37, so the item (whose size
        // each write pays for in write units) stays small.
        const { Attributes } = await this.#ddb.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: key,
            UpdateExpression: 'ADD chord_count :num, chord_positions :positions',
            ConditionExpression: counted.expression,
            ExpressionAttributeValues: {
              ...counted.values,
              ':num': { N: String(pending.length) },
              ':positions': { NS: pending.map(String) },
            },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        return { count: Number(Attributes?.chord_count?.N ?? '0'), counted: pending };
      } catch (error) {
        if (!isConditionFailure(error)) {
          throw backendError(`DynamoDB UpdateItem(${this.#table}) chord counter`, error, this.#hint(error));
        }
      }
      let item: Record<string, AttributeValue> | undefined;
      try {
        ({ Item: item } = await this.#ddb.send(
          new GetItemCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
        ));
      } catch (error) {
        throw backendError(`DynamoDB GetItem(${this.#table}) chord counter`, error, this.#hint(error));
      }
      if (item?.chord_count?.N === undefined) return undefined;
      const before = new Set((item.chord_positions?.NS ?? []).map(Number));
      pending = pending.filter((position) => !before.has(position));
      if (pending.length === 0) return { count: Number(item.chord_count.N), counted: [] };
    }
    return undefined;
  }

  async claimChordJoin(groupId: string, memberId: string): Promise<boolean> {
    const joinable = joinableBy(memberId);
    try {
      await this.#ddb.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { id: { S: celeryChordCounterKey(groupId) } },
          UpdateExpression: 'SET chord_joiner = :joiner',
          ConditionExpression: joinable.expression,
          ExpressionAttributeValues: { ...joinable.values },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw backendError(`DynamoDB UpdateItem(${this.#table}) chord join`, error, this.#hint(error));
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

  /** Writes a write's whole new item in one PutItem, if none exists under the key; false when one does. */
  async #create(what: string, taskId: string, write: ItemWrite): Promise<boolean> {
    try {
      await this.#ddb.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: asNewItem(this.#key(taskId), write),
          ConditionExpression: ITEM_ABSENT.expression,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw backendError(`DynamoDB PutItem(${this.#table}) ${what}`, error, this.#hint(error));
    }
  }

  /** Applies a write to the item under `condition`; false when the condition refused it. */
  async #update(what: string, taskId: string, write: ItemWrite, condition: Condition): Promise<boolean> {
    const input: UpdateInput = asUpdate(write, condition);
    try {
      await this.#ddb.send(
        new UpdateItemCommand({ TableName: this.#table, Key: this.#key(taskId), ...input }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw backendError(`DynamoDB UpdateItem(${this.#table}) ${what}`, error, this.#hint(error));
    }
  }

  #hint(error: unknown): string {
    switch (awsErrorName(error)) {
      case 'ResourceNotFoundException':
        return `The results table ${JSON.stringify(this.#table)} does not exist: deploy it (the ResultStore construct) or set \`resultTable\` / CELERIAC_RESULT_TABLE`;
      case 'AccessDeniedException':
        return `This role may not make that call on ${JSON.stringify(this.#table)}. The ResultStore construct grants each use: grantReadResults (get), grantSaveGroupsAndRevoke (chords, saved groups, revoke; CallerFunction \`savesGroupsAndRevokes\`), grantForgetResults (forget), grantWriteResults (workers)`;
      default:
        return '';
    }
  }
}
