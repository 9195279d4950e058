/**
 * The payload store on S3. Objects go under the store's key prefix (the ResultStore construct's lifecycle rule
 * expires that prefix, and its grants cover exactly it); encryption at rest is the bucket's default encryption.
 * Deleting a task's payloads lists its key prefix and deletes what is there. A read with `maxBytes` refuses an
 * object over the limit by its `ContentLength`, before reading its body, and stops reading a body that runs past
 * the limit whatever its stated size. `@aws-sdk/client-s3` is loaded on the first request (see `AwsClients.s3`).
 */
import type { GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { PayloadTooLargeError } from '../errors.js';
import type { PayloadGetOptions, PayloadLocation, PayloadStore } from '../ports/payload-store.js';
import { payloadTooLarge } from '../ports/payload-too-large.js';
import { awsErrorName, backendError } from './aws-error.js';

/** A GetObject body: a Node stream with the SDK's helpers (in Node, an `IncomingMessage`). */
type ObjectBody = NonNullable<GetObjectCommandOutput['Body']>;

/** Drops a body without reading it, closing its connection. */
function discard(body: ObjectBody): void {
  const stream = body as { destroy?: () => void };
  if (typeof stream.destroy === 'function') stream.destroy();
}

/**
 * Reads a body, refusing it as soon as it passes `maxBytes`: the stated `ContentLength` may be absent or wrong,
 * and a body that runs on is never held in memory past the limit.
 */
async function readAtMost(
  body: ObjectBody,
  maxBytes: number,
  location: PayloadLocation,
): Promise<Uint8Array> {
  if (!(Symbol.asyncIterator in body)) {
    const bytes = await body.transformToByteArray();
    if (bytes.byteLength > maxBytes) throw payloadTooLarge(location, bytes.byteLength, maxBytes);
    return bytes;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.byteLength;
    if (size > maxBytes) {
      discard(body);
      throw payloadTooLarge(location, size, maxBytes);
    }
    chunks.push(bytes);
  }
  return new Uint8Array(Buffer.concat(chunks, size));
}

/** Options for {@link S3PayloadStore}. */
export interface S3PayloadStoreOptions {
  readonly bucket: string;
  /** Prefix for every key, e.g. `celeriac/`. */
  readonly prefix: string;
}

type S3Sdk = typeof import('@aws-sdk/client-s3');
let sdk: Promise<S3Sdk> | undefined;
const loadSdk = (): Promise<S3Sdk> => {
  sdk ??= import('@aws-sdk/client-s3');
  return sdk;
};

/** {@link PayloadStore} on Amazon S3. */
export class S3PayloadStore implements PayloadStore {
  readonly #s3: () => Promise<S3Client>;
  readonly #bucket: string;
  readonly #prefix: string;

  /** @param s3 a client, or a function giving it on first use (`AwsClients.s3`). */
  constructor(s3: S3Client | (() => Promise<S3Client>), options: S3PayloadStoreOptions) {
    this.#s3 = typeof s3 === 'function' ? s3 : () => Promise.resolve(s3);
    this.#bucket = options.bucket;
    this.#prefix = options.prefix;
  }

  /** Sends the command `build` makes from the SDK's module, with the client. */
  async #send<T>(build: (s3: S3Sdk, client: S3Client) => Promise<T>): Promise<T> {
    const [module, client] = await Promise.all([loadSdk(), this.#s3()]);
    return await build(module, client);
  }

  async put(key: string, bytes: Uint8Array): Promise<PayloadLocation> {
    const location = { bucket: this.#bucket, key: this.#prefix + key };
    try {
      await this.#send((s3, client) =>
        client.send(
          new s3.PutObjectCommand({
            Bucket: location.bucket,
            Key: location.key,
            Body: bytes,
            ContentType: 'application/json',
          }),
        ),
      );
    } catch (error) {
      throw backendError(`S3 PutObject(s3://${location.bucket}/${location.key})`, error, this.#hint(error));
    }
    return location;
  }

  owns(location: PayloadLocation): boolean {
    return location.bucket === this.#bucket && location.key.startsWith(this.#prefix);
  }

  async get(location: PayloadLocation, options: PayloadGetOptions = {}): Promise<Uint8Array> {
    const { maxBytes } = options;
    try {
      const { Body, ContentLength } = await this.#send((s3, client) =>
        client.send(new s3.GetObjectCommand({ Bucket: location.bucket, Key: location.key })),
      );
      if (!Body) throw new Error('GetObject returned no body');
      if (maxBytes !== undefined && ContentLength !== undefined && ContentLength > maxBytes) {
        // Refused on the stated size, before a byte of the body is read; the connection is dropped.
        discard(Body);
        throw payloadTooLarge(location, ContentLength, maxBytes);
      }
      return maxBytes === undefined
        ? await Body.transformToByteArray()
        : await readAtMost(Body, maxBytes, location);
    } catch (error) {
      if (error instanceof PayloadTooLargeError) throw error;
      const name = awsErrorName(error);
      throw backendError(
        `S3 GetObject(s3://${location.bucket}/${location.key})`,
        error,
        name === 'NoSuchKey'
          ? 'The payload is gone: it expired under the bucket lifecycle rule, or the result was forgotten'
          : name === 'AccessDenied'
            ? // S3 answers 403, not 404, for a missing key to a role without s3:ListBucket on the bucket,
              // which the ResultStore grants do not give readers.
              'S3 refuses a key that does not exist with AccessDenied when the role may not list the bucket: ' +
              'the payload may have expired under the bucket lifecycle rule or been forgotten; otherwise the ' +
              `role lacks s3:GetObject on ${location.bucket}/${this.#prefix}* (ResultStore.grantReadResults)`
            : this.#hint(error),
      );
    }
  }

  async deletePrefix(keyPrefix: string): Promise<void> {
    const prefix = this.#prefix + keyPrefix;
    try {
      let token: string | undefined;
      do {
        const continuation = token;
        const page = await this.#send((s3, client) =>
          client.send(
            new s3.ListObjectsV2Command({
              Bucket: this.#bucket,
              Prefix: prefix,
              ContinuationToken: continuation,
            }),
          ),
        );
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (keys.length > 0) {
          await this.#send((s3, client) =>
            client.send(
              new s3.DeleteObjectsCommand({
                Bucket: this.#bucket,
                Delete: { Objects: keys, Quiet: true },
              }),
            ),
          );
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw backendError(`S3 delete s3://${this.#bucket}/${prefix}*`, error, this.#hint(error));
    }
  }

  #hint(error: unknown): string {
    return awsErrorName(error) === 'NoSuchBucket'
      ? `The payload bucket ${JSON.stringify(this.#bucket)} does not exist: deploy it (the ResultStore construct) or set \`payloadBucket\` / CELERIAC_PAYLOAD_BUCKET`
      : '';
  }
}
