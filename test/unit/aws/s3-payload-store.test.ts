/**
 * S3PayloadStore.get under a size limit, with a stubbed client: refused by the stated size before the body is
 * read, and by the bytes actually read when the stated size is absent or wrong.
 */
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { describe, expect, it } from 'vitest';
import { S3PayloadStore } from '../../../src/aws/s3-payload-store.js';
import { PayloadTooLargeError } from '../../../src/errors.js';

const location = { bucket: 'payloads', key: 'celeriac/t-1/message-r0.json' };
const MiB = 1024 * 1024;

/** A body of `totalBytes` in 64 KiB chunks that records how much was pulled from it and whether it was closed. */
function countingBody(totalBytes: number) {
  const state = { pulled: 0, destroyed: false };
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const stream = new Readable({
    read() {
      if (state.pulled >= totalBytes) {
        this.push(null);
        return;
      }
      const size = Math.min(chunk.length, totalBytes - state.pulled);
      state.pulled += size;
      this.push(chunk.subarray(0, size));
    },
    destroy(error, callback) {
      state.destroyed = true;
      callback(error);
    },
  });
  return { body: sdkStreamMixin(stream), state };
}

function storeReturning(output: { Body: unknown; ContentLength?: number }) {
  const s3 = { send: async () => output } as unknown as S3Client;
  return new S3PayloadStore(s3, { bucket: 'payloads', prefix: 'celeriac/' });
}

describe('S3PayloadStore.get with maxBytes', () => {
  it('refuses an object whose ContentLength is over the limit without reading its body', async () => {
    const { body, state } = countingBody(20 * MiB);
    const store = storeReturning({ Body: body, ContentLength: 20 * MiB });
    const failure = await store.get(location, { maxBytes: MiB }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PayloadTooLargeError);
    expect(failure).toMatchObject({ sizeBytes: 20 * MiB, limitBytes: MiB });
    expect((failure as Error).message).toContain(`s3://${location.bucket}/${location.key}`);
    expect((failure as Error).message).toContain(`${20 * MiB} bytes, over the limit of ${MiB} bytes`);
    expect(state.destroyed).toBe(true);
    expect(state.pulled).toBeLessThanOrEqual(64 * 1024 * 2);
  });

  it('stops reading a body that runs past the limit when its ContentLength says less', async () => {
    const { body, state } = countingBody(20 * MiB);
    const store = storeReturning({ Body: body, ContentLength: 10 });
    await expect(store.get(location, { maxBytes: MiB })).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(state.pulled).toBeLessThan(2 * MiB);
    expect(state.destroyed).toBe(true);
  });

  it('stops reading a body that runs past the limit when it has no ContentLength', async () => {
    const { body, state } = countingBody(20 * MiB);
    const store = storeReturning({ Body: body });
    await expect(store.get(location, { maxBytes: MiB })).rejects.toMatchObject({
      name: 'PayloadTooLargeError',
      limitBytes: MiB,
    });
    expect(state.pulled).toBeLessThan(2 * MiB);
  });

  it('reads an object of exactly the limit in full', async () => {
    const { body } = countingBody(MiB);
    const store = storeReturning({ Body: body, ContentLength: MiB });
    expect((await store.get(location, { maxBytes: MiB })).byteLength).toBe(MiB);
  });
});

describe('S3PayloadStore.get refused', () => {
  const refusing = (name: string, status: number) =>
    new S3PayloadStore(
      {
        send: async () => {
          throw Object.assign(new Error('refused'), { name, $metadata: { httpStatusCode: status } });
        },
      } as unknown as S3Client,
      { bucket: 'payloads', prefix: 'celeriac/' },
    );

  it('says that AccessDenied may be a missing payload, as S3 answers a role that may not list the bucket', async () => {
    const failure = (await refusing('AccessDenied', 403)
      .get(location)
      .catch((error: unknown) => error)) as Error & { retryable: boolean };
    expect(failure.message).toContain(`S3 GetObject(s3://${location.bucket}/${location.key})`);
    expect(failure.message).toMatch(/may have expired under the bucket lifecycle rule or been forgotten/);
    expect(failure.message).toContain(
      'lacks s3:GetObject on payloads/celeriac/* (ResultStore.grantReadResults)',
    );
    expect(failure.retryable).toBe(false);
  });

  it('says a NoSuchKey payload is gone', async () => {
    const failure = (await refusing('NoSuchKey', 404)
      .get(location)
      .catch((error: unknown) => error)) as Error;
    expect(failure.message).toMatch(/The payload is gone: it expired under the bucket lifecycle rule/);
  });
});
