/** The payload store in memory, for unit tests and local tools. */
import type { PayloadGetOptions, PayloadLocation, PayloadStore } from '../ports/payload-store.js';
import { payloadTooLarge } from '../ports/payload-too-large.js';

/** An in-memory {@link PayloadStore} holding one "bucket". */
export class MemoryPayloadStore implements PayloadStore {
  readonly #objects = new Map<string, Uint8Array>();
  readonly bucket: string;
  readonly prefix: string;

  constructor(bucket = 'memory-payloads', prefix = 'celeriac/') {
    this.bucket = bucket;
    this.prefix = prefix;
  }

  owns(location: PayloadLocation): boolean {
    return location.bucket === this.bucket && location.key.startsWith(this.prefix);
  }

  async put(key: string, bytes: Uint8Array): Promise<PayloadLocation> {
    this.#objects.set(this.prefix + key, new Uint8Array(bytes));
    return { bucket: this.bucket, key: this.prefix + key };
  }

  async get(location: PayloadLocation, options: PayloadGetOptions = {}): Promise<Uint8Array> {
    const bytes = location.bucket === this.bucket ? this.#objects.get(location.key) : undefined;
    if (!bytes) throw new Error(`No payload at s3://${location.bucket}/${location.key} (NoSuchKey)`);
    if (options.maxBytes !== undefined && bytes.byteLength > options.maxBytes) {
      throw payloadTooLarge(location, bytes.byteLength, options.maxBytes);
    }
    return new Uint8Array(bytes);
  }

  async deletePrefix(keyPrefix: string): Promise<void> {
    for (const key of [...this.#objects.keys()])
      if (key.startsWith(this.prefix + keyPrefix)) this.#objects.delete(key);
  }

  /** Test helper: every stored key. */
  keys(): string[] {
    return [...this.#objects.keys()];
  }
}
