import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError } from '../../src/errors.js';
import { MemoryPayloadStore } from '../../src/memory/memory-payload-store.js';
import { Payloads } from '../../src/payloads.js';
import { SQS_MAX_MESSAGE_BYTES } from '../../src/ports/service-limits.js';
import { DecodeError } from '../../src/protocol/errors.js';
import {
  claimMeta,
  encodeS3Pointer,
  parseS3Pointer,
  resultPayloadClaim,
} from '../../src/protocol/payload-pointer.js';
import { buildResultMeta, encodeResultMeta } from '../../src/protocol/result-meta.js';
import { executeMessage } from '../../src/worker/execute-message.js';
import { memoryApp } from '../helpers/memory-app.js';

const limits = { payloadThresholdBytes: 100, resultThresholdBytes: 300, maxPayloadBytes: 10_000 };

describe('Payloads', () => {
  it('keeps a message of exactly the threshold inline and offloads one byte more', async () => {
    const store = new MemoryPayloadStore('bucket', 'celeriac/');
    const payloads = new Payloads(store, limits);
    const atLimit = await payloads.offloadMessage('t1', 0, { body: 'x'.repeat(100) }, 'message');
    expect(atLimit).toEqual({ body: 'x'.repeat(100) });
    const over = await payloads.offloadMessage('t1', 0, { body: 'x'.repeat(101) }, 'message');
    const pointer = parseS3Pointer(over.body);
    expect(pointer?.s3BucketName).toBe('bucket');
    expect(pointer?.s3Key).toMatch(/^celeriac\/t1\/message-r0-[0-9a-f-]{36}\.json$/);
    expect(over.attributes?.ExtendedPayloadSize).toEqual({ dataType: 'Number', stringValue: '101' });
    expect(await payloads.resolveMessage(over.body, over.attributes ?? {})).toBe('x'.repeat(101));
  });

  it('counts message attributes towards the threshold', async () => {
    const payloads = new Payloads(new MemoryPayloadStore(), limits);
    const message = {
      body: 'x'.repeat(90),
      attributes: { Trace: { dataType: 'String' as const, stringValue: 'abcdef' } },
    };
    expect((await payloads.offloadMessage('t', 0, message, 'message')).body).not.toBe(message.body);
  });

  it('refuses a message over the maximum before storing anything, with its size and the limit', async () => {
    const store = new MemoryPayloadStore();
    const payloads = new Payloads(store, limits);
    const attempt = payloads.offloadMessage(
      't',
      0,
      { body: 'x'.repeat(10_001) },
      'task message for tasks.big',
    );
    await expect(attempt).rejects.toThrow(PayloadTooLargeError);
    await expect(attempt).rejects.toThrow(
      /task message for tasks\.big is 10001 bytes, over the limit of 10000 bytes/,
    );
    expect(store.keys()).toEqual([]);
  });

  it('without a payload store, sends what fits SQS and refuses the rest, naming the fix', async () => {
    const payloads = new Payloads(undefined, { ...limits, maxPayloadBytes: 2 * SQS_MAX_MESSAGE_BYTES });
    expect((await payloads.offloadMessage('t', 0, { body: 'x'.repeat(500) }, 'm')).body).toHaveLength(500);
    await expect(
      payloads.offloadMessage('t', 0, { body: 'x'.repeat(SQS_MAX_MESSAGE_BYTES + 1) }, 'm'),
    ).rejects.toThrow(/payloadBucket/);
  });

  it('offloads a large result meta and leaves a claim Python can read', async () => {
    const payloads = new Payloads(new MemoryPayloadStore('bucket'), limits);
    const meta = buildResultMeta({
      taskId: 't2',
      status: 'SUCCESS',
      result: 'y'.repeat(400),
      dateDone: new Date(0),
    });
    const stored = await payloads.offloadMeta(meta);
    expect(stored.status).toBe('SUCCESS');
    expect(stored.result).toMatch(
      /^celeriac: the SUCCESS result \(\d+ bytes\) is stored in S3 at s3:\/\/bucket\/celeriac\/t2\/result-success\.json/,
    );
    expect(resultPayloadClaim(stored)).toMatchObject({
      s3BucketName: 'bucket',
      s3Key: 'celeriac/t2/result-success.json',
    });
    expect(Object.keys(stored).at(-1)).toBe('task_id');
    expect(await payloads.resolveMeta(stored)).toEqual(meta);
  });

  it('keeps exception states readable as exceptions when offloaded', async () => {
    const payloads = new Payloads(new MemoryPayloadStore('bucket'), limits);
    const meta = buildResultMeta({
      taskId: 't3',
      status: 'FAILURE',
      result: { exc_type: 'ValueError', exc_message: ['z'.repeat(400)], exc_module: 'builtins' },
      traceback: 'Traceback ...',
      dateDone: new Date(0),
    });
    const stored = await payloads.offloadMeta(meta);
    expect(stored.result).toMatchObject({ exc_type: 'ValueError', exc_module: 'builtins' });
    expect(stored.traceback).toBeNull();
  });

  it('keeps a result meta of exactly the threshold in the item and offloads one byte more', async () => {
    const payloads = new Payloads(new MemoryPayloadStore(), limits);
    const base = buildResultMeta({ taskId: 't4', status: 'SUCCESS', result: '', dateDone: new Date(0) });
    const pad = 300 - Buffer.byteLength(encodeResultMeta(base));
    const exact = { ...base, result: 'r'.repeat(pad) };
    expect(Buffer.byteLength(encodeResultMeta(exact))).toBe(300);
    expect(await payloads.offloadMeta(exact)).toBe(exact);
    expect(
      resultPayloadClaim(await payloads.offloadMeta({ ...base, result: 'r'.repeat(pad + 1) })),
    ).toBeDefined();
  });

  it('forgets every payload of a task and only that task', async () => {
    const store = new MemoryPayloadStore();
    const payloads = new Payloads(store, limits);
    await payloads.offloadMessage('a', 0, { body: 'x'.repeat(200) }, 'm');
    await payloads.offloadMessage('ab', 0, { body: 'x'.repeat(200) }, 'm');
    await payloads.forget('a');
    expect(store.keys()).toEqual([expect.stringMatching(/^celeriac\/ab\//)]);
  });
});

describe('large payloads through the app and the worker (memory transport)', () => {
  it('round-trips arguments and a result far over both thresholds', async () => {
    const fx = memoryApp({ payloadThresholdBytes: 1000, resultThresholdBytes: 1000 });
    const echo = fx.app.task('tasks.echo', (text: string) => `${text}!`);
    const big = 'é'.repeat(50_000);
    const result = await echo.delay(big);
    const [inbound] = await fx.receiveAll();
    expect(inbound?.body.startsWith('["software.amazon.payloadoffloading.PayloadS3Pointer"')).toBe(true);
    const outcome = await executeMessage(inbound as NonNullable<typeof inbound>, {
      registry: fx.app.registry,
      runtime: fx.app.runtime,
      identity: fx.identity,
      leaseMs: 60_000,
      queueName: 'celery',
    });
    expect(outcome.state).toBe('SUCCESS');
    expect(await result.get({ timeoutMs: 100 })).toBe(`${big}!`);
    await result.forget();
    expect(fx.transport.payloads.keys()).toEqual([]);
  });

  it('stores FAILURE with the size when a result cannot be stored anywhere', async () => {
    const fx = memoryApp({ resultThresholdBytes: 1000, maxPayloadBytes: 5000 });
    const huge = fx.app.task('tasks.huge', () => 'x'.repeat(10_000));
    const result = await huge.delay();
    const [inbound] = await fx.receiveAll();
    await executeMessage(inbound as NonNullable<typeof inbound>, {
      registry: fx.app.registry,
      runtime: fx.app.runtime,
      identity: fx.identity,
      leaseMs: 60_000,
      queueName: 'celery',
    });
    expect(await result.info()).toMatchObject({
      exc_type: 'PayloadTooLargeError',
      exc_message: [expect.stringMatching(/over the limit of 5000 bytes/)],
    });
  });
});

describe('reading offloaded payloads under maxPayloadBytes', () => {
  const MiB = 1024 * 1024;

  it('refuses a pointer to an object over the limit, naming its size, the limit and the object', async () => {
    const store = new MemoryPayloadStore('bucket', 'celeriac/');
    const location = await store.put('t/message-r0.json', new Uint8Array(20 * MiB));
    const payloads = new Payloads(store, { ...limits, maxPayloadBytes: MiB });
    const body = encodeS3Pointer({ s3BucketName: location.bucket, s3Key: location.key });
    const attempt = payloads.resolveMessage(body, {});
    await expect(attempt).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(attempt).rejects.toThrow(
      `The payload at s3://bucket/celeriac/t/message-r0.json is ${20 * MiB} bytes, over the limit of ${MiB} bytes`,
    );
  });

  it('refuses a result claim pointing to an object over the limit', async () => {
    const store = new MemoryPayloadStore('bucket');
    const writer = new Payloads(store, { ...limits, maxPayloadBytes: 100_000 });
    const big = buildResultMeta({
      taskId: 't',
      status: 'SUCCESS',
      result: 'y'.repeat(50_000),
      dateDone: null,
    });
    const stored = await writer.offloadMeta(big);
    const reader = new Payloads(store, { ...limits, maxPayloadBytes: 10_000 });
    await expect(reader.resolveMeta(stored)).rejects.toMatchObject({
      name: 'PayloadTooLargeError',
      limitBytes: 10_000,
    });
    expect(await writer.resolveMeta(stored)).toEqual(big);
  });

  it('refuses an offloaded message or result meta that is not UTF-8, naming the object', async () => {
    const store = new MemoryPayloadStore('bucket', 'celeriac/');
    const payloads = new Payloads(store, limits);
    const location = await store.put('bad/x.json', new Uint8Array([0xff, 0xfe, 0x00]));
    const body = encodeS3Pointer({ s3BucketName: location.bucket, s3Key: location.key });
    const attempt = payloads.resolveMessage(body, {});
    await expect(attempt).rejects.toBeInstanceOf(DecodeError);
    await expect(attempt).rejects.toThrow(
      'Cannot decode offloaded message: the object at s3://bucket/celeriac/bad/x.json (3 bytes) is not UTF-8 text',
    );
    const claim = claimMeta(buildResultMeta({ taskId: 't', status: 'SUCCESS', result: 1, dateDone: null }), {
      s3BucketName: location.bucket,
      s3Key: location.key,
      size: 3,
    });
    await expect(payloads.resolveMeta(claim)).rejects.toThrow(
      'Cannot decode offloaded result meta: the object at s3://bucket/celeriac/bad/x.json (3 bytes) is not UTF-8 text',
    );
  });

  it('reads a pointer to an object of exactly the limit', async () => {
    const store = new MemoryPayloadStore('bucket');
    const payloads = new Payloads(store, { ...limits, maxPayloadBytes: 5000 });
    const location = await store.put('t/m.json', new TextEncoder().encode('x'.repeat(5000)));
    const body = encodeS3Pointer({ s3BucketName: location.bucket, s3Key: location.key });
    expect(await payloads.resolveMessage(body, {})).toHaveLength(5000);
  });
});

describe('failures that cannot be stored whole', () => {
  it('stores the exception type with a shortened message when its arguments are too large or not JSON', async () => {
    const fx = memoryApp({ resultThresholdBytes: 1000, maxPayloadBytes: 5000 });
    class Loud extends Error {
      override name = 'Loud';
      excArgs = ['z'.repeat(10_000)];
    }
    const task = fx.app.task('tasks.loud', () => {
      throw new Loud('too much to say');
    });
    const result = await task.delay();
    const [inbound] = await fx.receiveAll();
    const outcome = await executeMessage(inbound as NonNullable<typeof inbound>, {
      registry: fx.app.registry,
      runtime: fx.app.runtime,
      identity: fx.identity,
      leaseMs: 60_000,
      queueName: 'celery',
    });
    expect(outcome.state).toBe('FAILURE');
    expect(await result.info()).toMatchObject({
      exc_type: 'Loud',
      exc_message: [expect.stringMatching(/^too much to say \(.*over the limit of 5000 bytes/)],
    });
  });
});
