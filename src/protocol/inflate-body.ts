/**
 * Asynchronous, size-bounded inflation of a compressed body: what the worker uses, so that a decompression bomb
 * neither fills memory nor holds the event loop (see `compression.ts` for what each method runs on).
 */
import { brotliDecompress, inflate } from 'node:zlib';
import { inflateBzip2 } from './bzip2-decoder.js';
import {
  compressionNameOf,
  inflateError,
  inflateLimit,
  nodeZstd,
  unsupportedCompression,
} from './compression.js';
import { bzip2Library } from './optional-libraries.js';
import { inflateXz } from './xz-decoder.js';

/**
 * A zlib one-shot call with a callback, as a promise. Not `util.promisify`: importing `node:util` loads a dozen
 * more of Node's modules (parseArgs, worker threads, diff) at a Lambda's init.
 */
type Options = { readonly maxOutputLength: number };
type OneShot = (
  bytes: Uint8Array,
  options: Options,
  done: (error: Error | null, result: Buffer) => void,
) => void;
const promised =
  (call: OneShot) =>
  (bytes: Uint8Array, options: Options): Promise<Buffer> =>
    new Promise((resolve, reject) =>
      call(bytes, options, (error, result) => (error ? reject(error) : resolve(result))),
    );

const inflateAsync = promised(inflate);
const brotliAsync = promised(brotliDecompress);
const zstdAsync = nodeZstd ? promised(nodeZstd.zstdDecompress.bind(nodeZstd)) : undefined;

/**
 * Inflates a body compressed with the method the `compression` header names (a MIME type, or one of kombu's
 * aliases), never producing more than `maxOutputLength` bytes. zlib, brotli and zstd run on libuv's thread
 * pool, xz in 64 KiB steps between which the event loop runs; bzip2 is synchronous, so it is bounded lower:
 * by `options.maxBzip2Bytes` (1 MiB by default) when that is smaller than `maxOutputLength`.
 *
 * @throws {DecodeError} naming the limit when the body inflates past it, naming the method when it is corrupt
 *   or not one celeriac reads.
 * @example
 * await inflateBody(bytes, 'application/zstd', 64 * 1024 * 1024);
 */
export async function inflateBody(
  bytes: Uint8Array,
  header: string,
  maxOutputLength: number,
  options: { readonly maxBzip2Bytes?: number } = {},
): Promise<Buffer> {
  const name = compressionNameOf(header);
  const limit = inflateLimit(name, maxOutputLength, options.maxBzip2Bytes);
  try {
    if (name === 'zlib') return await inflateAsync(bytes, { maxOutputLength });
    if (name === 'brotli') return await brotliAsync(bytes, { maxOutputLength });
    if (name === 'zstd' && zstdAsync) return await zstdAsync(bytes, { maxOutputLength });
    if (name === 'xz') return await inflateXz(bytes, maxOutputLength);
    if (name === 'bzip2') {
      await bzip2Library.load();
      return inflateBzip2(bytes, limit.bytes);
    }
  } catch (error) {
    throw inflateError(name ?? header, limit.bytes, error, limit.setting);
  }
  throw unsupportedCompression(header);
}
