/**
 * The DynamoDB result store reads results exactly when `exact` is set (the app's `exactValues`), on the emulator:
 * an item holding the bytes Python's backend writes is read as `bigint`, `PythonFloat`, `PythonDateTime` and
 * `Decimal` in exact mode and as numbers and `Date`s by default; an app's `AsyncResult.get()` follows its
 * `exactValues`, for a result in the item and one offloaded to the payload bucket.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { celeryTaskKey } from '../../src/aws/celery-keys.js';
import { DynamoDbResultStore, ensureResultTable } from '../../src/aws/index.js';
import { createApp, Decimal, PythonDateTime, PythonFloat } from '../../src/index.js';
import { resultPayloadClaim } from '../../src/protocol/payload-pointer.js';
import { decodeResultMeta } from '../../src/protocol/result-meta.js';
import { uniqueName } from '../emulator/unique-name.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const ddb = new DynamoDBClient({ endpoint });
const s3 = new S3Client({ endpoint, forcePathStyle: true });
const table = uniqueName('exact-store');
const bucket = uniqueName('exact-payloads');

/** A SUCCESS meta as Python's backend writes it (kombu JSON). */
const pythonMeta = (taskId: string): string =>
  '{"status": "SUCCESS", "result": [9007199254740993, 5.0, 1e+300, -0.0, 1.5, ' +
  '{"__type__": "datetime", "__value__": "2024-01-02T03:04:05.123456"}, ' +
  '{"__type__": "datetime", "__value__": "2024-01-02T03:04:05.000006+00:00"}, ' +
  '{"__type__": "decimal", "__value__": "1.10"}], "traceback": null, "children": [], ' +
  `"date_done": "2024-01-02T03:04:05.123456+00:00", "task_id": "${taskId}"}`;

const EXACT = [
  9007199254740993n,
  new PythonFloat(5),
  new PythonFloat(1e300),
  new PythonFloat(-0),
  1.5,
  new PythonDateTime('2024-01-02T03:04:05.123456'),
  new PythonDateTime('2024-01-02T03:04:05.000006+00:00'),
  new Decimal('1.10'),
];
const DEFAULT = [
  9007199254740992,
  5,
  1e300,
  -0,
  1.5,
  new Date('2024-01-02T03:04:05.123Z'),
  new Date('2024-01-02T03:04:05.000Z'),
  new Decimal('1.10'),
];

/** Writes an item the way Celery's DynamoDB backend does: the meta's bytes in `result`. */
async function putPythonItem(taskId: string, text: string): Promise<void> {
  await ddb.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        id: { S: celeryTaskKey(taskId) },
        result: { B: new TextEncoder().encode(text) },
        timestamp: { N: String(Date.now() / 1000) },
      },
    }),
  );
}

beforeAll(async () => {
  await ensureResultTable(ddb, table);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

describe.each([
  { mode: 'exact', exact: true, expected: EXACT },
  { mode: 'default', exact: false, expected: DEFAULT },
])('DynamoDbResultStore in $mode mode', ({ exact, expected }) => {
  it("reads Python's stored values in its mode", async () => {
    const id = uniqueName('exact-item');
    await putPythonItem(id, pythonMeta(id));
    const store = new DynamoDbResultStore(ddb, { tableName: table, exact });
    expect((await store.get(id))?.result).toStrictEqual(expected);
  });

  it('an app with that exactValues reads results in the item and in the payload bucket alike', async () => {
    const app = createApp({
      resultTable: table,
      payloadBucket: bucket,
      exactValues: exact,
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    const inline = uniqueName('exact-inline');
    await putPythonItem(inline, pythonMeta(inline));
    expect(await app.asyncResult(inline).get({ timeoutMs: 5000 })).toStrictEqual(expected);

    // An offloaded result: a writer with a low threshold puts the full meta in the bucket and a claim in the item.
    const writer = createApp({
      resultTable: table,
      payloadBucket: bucket,
      resultThresholdBytes: 100,
      exactValues: true,
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    const offloaded = uniqueName('exact-offloaded');
    const claim = await writer.runtime.payloads.offloadMeta(
      decodeResultMeta(pythonMeta(offloaded), { exact: true }),
    );
    expect(resultPayloadClaim(claim)?.s3BucketName).toBe(bucket);
    await writer.runtime.results.put(offloaded, claim, { nowMs: Date.now() });
    expect(await app.asyncResult(offloaded).get({ timeoutMs: 5000 })).toStrictEqual(expected);
  });
});
