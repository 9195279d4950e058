/**
 * The contract every PayloadStore adapter meets. Run against the memory store and the S3 store.
 */
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError } from '../../src/errors.js';
import type { PayloadStore } from '../../src/ports/payload-store.js';

const MiB = 1024 * 1024;
let counter = 0;
const newKey = () => `contract-${Date.now().toString(36)}-${++counter}`;

export function describePayloadStoreContract(
  name: string,
  makeStore: () => PayloadStore | Promise<PayloadStore>,
): void {
  describe(`PayloadStore contract: ${name}`, () => {
    it('stores bytes and reads them back', async () => {
      const store = await makeStore();
      const bytes = new TextEncoder().encode('{"args": [1, 2]}');
      const location = await store.put(`${newKey()}/message.json`, bytes);
      expect(await store.get(location)).toEqual(bytes);
    });

    it('refuses an object over maxBytes, naming its size, the limit and the object', async () => {
      const store = await makeStore();
      const location = await store.put(`${newKey()}/message.json`, new Uint8Array(20 * MiB).fill(0x78));
      const failure = await store.get(location, { maxBytes: MiB }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(PayloadTooLargeError);
      expect(failure).toMatchObject({ sizeBytes: 20 * MiB, limitBytes: MiB });
      expect((failure as Error).message).toContain(`s3://${location.bucket}/${location.key}`);
    });

    it('reads an object of exactly maxBytes', async () => {
      const store = await makeStore();
      const location = await store.put(`${newKey()}/message.json`, new Uint8Array(4096).fill(0x79));
      expect((await store.get(location, { maxBytes: 4096 })).byteLength).toBe(4096);
    });

    it('deletes every object under a key prefix and nothing else', async () => {
      const store = await makeStore();
      const task = newKey();
      const other = newKey();
      const a = await store.put(`${task}/a.json`, new Uint8Array([1]));
      const b = await store.put(`${task}/b.json`, new Uint8Array([2]));
      const kept = await store.put(`${other}/a.json`, new Uint8Array([3]));
      await store.deletePrefix(`${task}/`);
      await expect(store.get(a)).rejects.toThrow(/NoSuchKey/);
      await expect(store.get(b)).rejects.toThrow(/NoSuchKey/);
      expect(await store.get(kept)).toEqual(new Uint8Array([3]));
    });
  });
}
