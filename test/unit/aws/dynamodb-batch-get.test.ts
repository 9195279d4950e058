import type { AttributeValue, BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { batchGetItems, DYNAMODB_MAX_BATCH_GET } from '../../../src/aws/dynamodb-batch-get.js';
import { BackendError } from '../../../src/errors.js';

type Item = Record<string, AttributeValue>;
const item = (id: string): Item => ({ id: { S: id }, v: { S: `value of ${id}` } });
const options = { keyAttribute: 'id' } as const;

/**
 * A client whose BatchGetItem finds every key but `missing`, and leaves the first `unprocessed(attempt)` keys
 * of each request unprocessed.
 */
function fakeClient(unprocessed: (attempt: number) => number, missing: ReadonlySet<string> = new Set()) {
  const requests: string[][] = [];
  const client = {
    send: async (command: BatchGetItemCommand) => {
      const keys = (command.input.RequestItems?.t?.Keys ?? []).map((k) => k.id?.S as string);
      const left = keys.slice(0, unprocessed(requests.length));
      requests.push(keys);
      const answered = keys.slice(left.length).filter((k) => !missing.has(k));
      return {
        Responses: { t: answered.map(item) },
        UnprocessedKeys: left.length > 0 ? { t: { Keys: left.map((k) => ({ id: { S: k } })) } } : {},
      };
    },
  } as unknown as DynamoDBClient;
  return { client, requests };
}

describe('batchGetItems', () => {
  it('reads in requests of 100, each key once, and answers in the order asked', async () => {
    const { client, requests } = fakeClient(() => 0, new Set(['k7']));
    const keys = [...Array.from({ length: 150 }, (_, i) => `k${i}`), 'k3'];
    const items = await batchGetItems(client, 't', keys, options);
    expect(requests.map((r) => r.length).sort((a, b) => b - a)).toEqual([DYNAMODB_MAX_BATCH_GET, 50]);
    expect(items).toHaveLength(keys.length);
    expect(items[0]).toEqual(item('k0'));
    expect(items[7]).toBeUndefined();
    expect(items[150]).toEqual(item('k3'));
  });

  it('asks again for unprocessed keys until DynamoDB answers them', async () => {
    const { client, requests } = fakeClient((attempt) => (attempt < 2 ? 3 : 0));
    const keys = Array.from({ length: 5 }, (_, i) => `k${i}`);
    const items = await batchGetItems(client, 't', keys, options);
    expect(requests.map((r) => r.length)).toEqual([5, 3, 3]);
    expect(items).toEqual(keys.map(item));
  });

  it('fails, retryable, naming the table, when keys stay unprocessed', async () => {
    const { client } = fakeClient(() => 1);
    const error = await batchGetItems(client, 't', ['k'], options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).retryable).toBe(true);
    expect((error as BackendError).message).toMatch(/BatchGetItem\(t\).*stayed unprocessed/);
  });

  it('sends no request for no keys', async () => {
    const { client, requests } = fakeClient(() => 0);
    expect(await batchGetItems(client, 't', [], options)).toEqual([]);
    expect(requests).toEqual([]);
  });
});
