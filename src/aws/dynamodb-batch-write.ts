/**
 * Unconditional item writes in as few requests as DynamoDB allows: `BatchWriteItem` requests of up to 25 puts.
 * Items the service leaves unprocessed (throttling) are sent again, with a short growing pause, a few times
 * before the write is reported as failed (retryable). Two writes of one key in a batch are refused by DynamoDB,
 * so the last write of each key wins before anything is sent.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { type AttributeValue, BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BackendError } from '../errors.js';
import { backendError } from './aws-error.js';

/** The most puts one `BatchWriteItem` takes. */
export const DYNAMODB_MAX_BATCH_WRITE = 25;

/** How many times unprocessed items are sent again before the write fails. */
const UNPROCESSED_RETRIES = 5;

type Item = Record<string, AttributeValue>;

/**
 * Puts every item into `table`, replacing what is stored under its key.
 *
 * @param keyOf the item's key, as a string (to keep the last write of each key).
 * @param hint what to add to a failed request's error (how to fix it), from that error.
 * @throws {BackendError} when a request fails, or items stay unprocessed after the retries (retryable then).
 */
export async function batchPutItems(
  ddb: DynamoDBClient,
  table: string,
  items: readonly Item[],
  keyOf: (item: Item) => string,
  hint: (error: unknown) => string = () => '',
): Promise<void> {
  const last = new Map<string, Item>();
  for (const item of items) last.set(keyOf(item), item);
  const unique = [...last.values()];
  const chunks: Item[][] = [];
  for (let start = 0; start < unique.length; start += DYNAMODB_MAX_BATCH_WRITE) {
    chunks.push(unique.slice(start, start + DYNAMODB_MAX_BATCH_WRITE));
  }
  await Promise.all(chunks.map((chunk) => putChunk(ddb, table, chunk, hint)));
}

async function putChunk(
  ddb: DynamoDBClient,
  table: string,
  chunk: readonly Item[],
  hint: (error: unknown) => string,
): Promise<void> {
  const operation = `DynamoDB BatchWriteItem(${table})`;
  let requests = chunk.map((item) => ({ PutRequest: { Item: item } }));
  for (let attempt = 0; requests.length > 0; attempt++) {
    if (attempt > UNPROCESSED_RETRIES) {
      throw BackendError.failed(
        operation,
        `${requests.length} item(s) stayed unprocessed after ${UNPROCESSED_RETRIES} retries (throttled: raise the table's capacity, or try again)`,
        true,
      );
    }
    if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
    try {
      const { UnprocessedItems } = await ddb.send(
        new BatchWriteItemCommand({ RequestItems: { [table]: requests } }),
      );
      requests = (UnprocessedItems?.[table] ?? []).flatMap((request) =>
        request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : [],
      );
    } catch (error) {
      throw backendError(operation, error, hint(error));
    }
  }
}
