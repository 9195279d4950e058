import type { AttributeValue, BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { batchPutItems, DYNAMODB_MAX_BATCH_WRITE } from '../../../src/aws/dynamodb-batch-write.js';
import { BackendError } from '../../../src/errors.js';

type Item = Record<string, AttributeValue>;
const item = (id: string, value = id): Item => ({ id: { S: id }, v: { S: value } });
const keyOf = (i: Item) => i.id?.S ?? '';

/** A client whose BatchWriteItem leaves the first `unprocessed(attempt)` items of each request unprocessed. */
function fakeClient(unprocessed: (attempt: number) => number) {
  const requests: Item[][] = [];
  const client = {
    send: async (command: BatchWriteItemCommand) => {
      const entries = command.input.RequestItems?.t ?? [];
      const items = entries.map((e) => e.PutRequest?.Item as Item);
      const left = items.slice(0, unprocessed(requests.length));
      requests.push(items);
      return {
        UnprocessedItems: left.length > 0 ? { t: left.map((i) => ({ PutRequest: { Item: i } })) } : {},
      };
    },
  } as unknown as DynamoDBClient;
  return { client, requests };
}

describe('batchPutItems', () => {
  it('sends batches of 25, keeping only the last write of each key', async () => {
    const { client, requests } = fakeClient(() => 0);
    const items = [...Array.from({ length: 30 }, (_, i) => item(`k${i}`)), item('k0', 'later')];
    await batchPutItems(client, 't', items, keyOf);
    expect(requests.map((r) => r.length)).toEqual([DYNAMODB_MAX_BATCH_WRITE, 5]);
    const sent = requests.flat();
    expect(sent.filter((i) => i.id?.S === 'k0')).toEqual([item('k0', 'later')]);
  });

  it('sends unprocessed items again until DynamoDB takes them', async () => {
    const { client, requests } = fakeClient((attempt) => (attempt < 2 ? 3 : 0));
    await batchPutItems(
      client,
      't',
      Array.from({ length: 5 }, (_, i) => item(`k${i}`)),
      keyOf,
    );
    expect(requests.map((r) => r.length)).toEqual([5, 3, 3]);
  });

  it('fails, retryable, naming the table, when items stay unprocessed', async () => {
    const { client } = fakeClient(() => 1);
    const error = await batchPutItems(client, 't', [item('k')], keyOf).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).retryable).toBe(true);
    expect((error as BackendError).message).toMatch(/BatchWriteItem\(t\).*stayed unprocessed/);
  });
});
