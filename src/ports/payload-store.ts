/**
 * The payload-store port: bytes too large for a message or a result item, stored under keys that name their
 * task id. `src/aws/s3-payload-store.ts` implements it on S3.
 */

/** Where a payload lives. */
export interface PayloadLocation {
  readonly bucket: string;
  readonly key: string;
}

/** Options for {@link PayloadStore.get}. */
export interface PayloadGetOptions {
  /** Refuse an object larger than this many bytes. Default: no limit. */
  readonly maxBytes?: number;
}

/** Large payloads, kept outside messages and result items. */
export interface PayloadStore {
  /** Stores `bytes` at `key` (under the store's prefix) and returns where they went. */
  put(key: string, bytes: Uint8Array): Promise<PayloadLocation>;
  /**
   * Reads a payload back. With `maxBytes`, an object larger than that is refused before its body is read (and
   * a body that turns out longer than its stated size is cut off at the limit), with a `PayloadTooLargeError`
   * naming the object, its size and the limit.
   */
  get(location: PayloadLocation, options?: PayloadGetOptions): Promise<Uint8Array>;
  /** Whether `location` is inside this store's bucket and key prefix (a pointer elsewhere is not followed). */
  owns(location: PayloadLocation): boolean;
  /** Deletes every payload whose key starts with `keyPrefix` (under the store's prefix). */
  deletePrefix(keyPrefix: string): Promise<void>;
}
