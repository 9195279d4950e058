/**
 * The chord records on DynamoDB (moto server), where an item holds at most 400 KB and each write pays for the
 * item's size: the saved group as large as an item allows, refused beyond that before any member is sent, and a
 * chord counter that grows by a few bytes a member.
 */
import { type AttributeValue, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { celeryChordCounterKey } from '../../src/aws/celery-keys.js';
import { DynamoDbResultStore, ensureResultTable } from '../../src/aws/index.js';
import { PayloadTooLargeError } from '../../src/protocol/errors.js';
import { uniqueName } from '../emulator/unique-name.js';

const table = uniqueName('chords');
const ddb = new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL });
const store = new DynamoDbResultStore(ddb, { tableName: table });
beforeAll(async () => {
  await ensureResultTable(ddb, table);
});

const memberIds = (gid: string, size: number): string[] =>
  Array.from({ length: size }, (_, i) => `${gid.slice(0, 8)}-0000-4000-8000-${String(i).padStart(12, '0')}`);

/**
 * An item's size as DynamoDB counts it for write units (the "Item sizes" rules of the DynamoDB developer guide):
 * each attribute's name plus its value; a string or binary by its bytes, a number about one byte per two
 * significant digits plus one, a set the sum of its elements.
 */
function itemBytes(item: Record<string, AttributeValue>): number {
  const number = (n: string) => Math.ceil(n.replace(/^[-0.]+|\.|0+$/g, '').length / 2) + 1;
  const value = (v: AttributeValue): number => {
    if (v.S !== undefined) return Buffer.byteLength(v.S);
    if (v.N !== undefined) return number(v.N);
    if (v.B !== undefined) return v.B.length;
    if (v.SS !== undefined) return v.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
    if (v.NS !== undefined) return v.NS.reduce((sum, n) => sum + number(n), 0);
    return 1;
  };
  return Object.entries(item).reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + value(v), 0);
}

describe('chord records on DynamoDB (moto server)', () => {
  it('counts a chord of 2,000, its counter growing by a few bytes a member, not by a task id', async () => {
    const gid = crypto.randomUUID();
    const size = 2_000;
    await store.saveGroup(gid, memberIds(gid, size), Date.now());
    let count = 0;
    for (let first = 0; first < size; first += 50) {
      const after = await store.incrementChordCounter(
        gid,
        Array.from({ length: 50 }, (_, i) => first + i),
      );
      count = after?.count ?? Number.NaN;
    }
    expect(count).toBe(size);
    expect(await store.incrementChordCounter(gid, [0, size - 1])).toEqual({ count: size, counted: [] });
    const { Item } = await ddb.send(
      new GetItemCommand({ TableName: table, Key: { id: { S: celeryChordCounterKey(gid) } } }),
    );
    if (!Item) throw new Error('the counter is gone');
    // At most 4 bytes a member: 8 KB for the whole chord, where its 2,000 task ids would be 72 KB, so the last
    // writes would each cost some 72 write units instead of 8 (and a chord of 7,000, 250 instead of 28).
    expect(itemBytes(Item)).toBeLessThan(4 * size);
    await store.deleteChord(gid);
  }, 120_000);

  it('refuses a saved group larger than an item holds, naming it, its size and what to do', async () => {
    const gid = crypto.randomUUID();
    const refusal = await store.saveGroup(gid, memberIds(gid, 8_000), Date.now()).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(PayloadTooLargeError);
    expect((refusal as Error).message).toMatch(
      new RegExp(
        `^The saved group ${gid} of 8000 members is \\d+ bytes, over the limit of 408576 bytes\\. .*task\\.chunks`,
      ),
    );
    // Nothing was written: no group, no counter.
    expect(await store.getGroupMembers(gid)).toBeUndefined();
    expect(await store.incrementChordCounter(gid, [0])).toBeUndefined();
  });
});
