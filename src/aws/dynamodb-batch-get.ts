/**
 * Item reads in as few requests as DynamoDB allows: `BatchGetItem` requests of up to 100 keys, a few in flight at
 * once. Keys the service leaves unprocessed (throttling, or a response past 16 MB) are asked for again, with a
 * short growing pause, a few times before the read is reported as failed (retryable). A key asked for twice is
 * read once (DynamoDB refuses a batch that names a key twice).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { type AttributeValue, BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BackendError } from '../errors.js';
import { runBounded } from '../run-bounded.js';
import { backendError } from './aws-error.js';

/** The most keys one `BatchGetItem` takes. */
export const DYNAMODB_MAX_BATCH_GET = 100;

/** How many `BatchGetItem` requests one read has in flight at once. */
const REQUESTS_IN_FLIGHT = 4;

/** How many times unprocessed keys are asked for again before the read fails. */
const UNPROCESSED_RETRIES = 5;

type Item = Record<string, AttributeValue>;

/** Options for {@link batchGetItems}. */
export interface BatchGetOptions {
  /** The table's key attribute, a string (`id` in Celery's item format). */
  readonly keyAttribute: string;
  /** Strongly consistent reads. Default false. */
  readonly consistentRead?: boolean;
  /** What to add to a failed request's error (how to fix it), from that error. */
  readonly hint?: (error: unknown) => string;
}

/**
 * Reads the items stored under `keys` (values of the string key attribute) from `table`.
 *
 * @returns each key's item, in the order of `keys`; `undefined` where nothing is stored.
 * @throws {BackendError} when a request fails, or keys stay unprocessed after the retries (retryable then).
 */
export async function batchGetItems(
  ddb: DynamoDBClient,
  table: string,
  keys: readonly string[],
  options: BatchGetOptions,
): Promise<(Item | undefined)[]> {
  const unique = [...new Set(keys)];
  const chunks: string[][] = [];
  for (let start = 0; start < unique.length; start += DYNAMODB_MAX_BATCH_GET) {
    chunks.push(unique.slice(start, start + DYNAMODB_MAX_BATCH_GET));
  }
  const found = new Map<string, Item>();
  await runBounded(chunks.length, REQUESTS_IN_FLIGHT, (i) =>
    getChunk(ddb, table, chunks[i] as string[], options, found),
  );
  return keys.map((key) => found.get(key));
}

async function getChunk(
  ddb: DynamoDBClient,
  table: string,
  chunk: readonly string[],
  options: BatchGetOptions,
  found: Map<string, Item>,
): Promise<void> {
  const operation = `DynamoDB BatchGetItem(${table})`;
  const { keyAttribute } = options;
  let keys: Item[] = chunk.map((key) => ({ [keyAttribute]: { S: key } }));
  for (let attempt = 0; keys.length > 0; attempt++) {
    if (attempt > UNPROCESSED_RETRIES) {
      throw BackendError.failed(
        operation,
        `${keys.length} key(s) stayed unprocessed after ${UNPROCESSED_RETRIES} retries (throttled: raise the table's read capacity, or try again)`,
        true,
      );
    }
    if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
    try {
      const { Responses, UnprocessedKeys } = await ddb.send(
        new BatchGetItemCommand({
          RequestItems: {
            [table]: { Keys: keys, ConsistentRead: options.consistentRead ?? false },
          },
        }),
      );
      for (const item of Responses?.[table] ?? []) {
        const key = item[keyAttribute]?.S;
        if (key !== undefined) found.set(key, item);
      }
      keys = UnprocessedKeys?.[table]?.Keys ?? [];
    } catch (error) {
      throw backendError(operation, error, options.hint?.(error) ?? '');
    }
  }
}
