/**
 * kombu's body compression (`kombu/compression.py`): the methods celeriac writes and reads, their MIME types in the
 * `compression` header, and inflation under a size bound.
 *
 * | option              | `compression` header   | stream                  | celeriac          |
 * |---------------------|------------------------|-------------------------|-------------------|
 * | `zlib`, `gzip`      | `application/x-gzip`   | a zlib stream (kombu's `zlib.compress`, despite the name) | writes, reads |
 * | `brotli`            | `application/x-brotli` | brotli                  | writes, reads     |
 * | `bzip2`, `bzip`     | `application/x-bz2`    | bzip2                   | refused, named    |
 * | `lzma`, `xz`        | `application/x-lzma`   | xz container            | refused, named    |
 * | `zstd`, `zstandard` | `application/zstd`     | zstandard frame         | refused, named    |
 *
 * bzip2, xz and zstd have no size-bounded decoder in Node 20's standard library, and celeriac inflates nothing it
 * cannot bound; a message using them is refused with a {@link DecodeError} that names the method.
 */
import { brotliCompressSync, brotliDecompressSync, deflateSync, inflateSync } from 'node:zlib';
import { DecodeError } from './errors.js';

/** The compression methods celeriac can write, by kombu's names (`compression='zlib'`). */
export const COMPRESSION_METHODS = ['zlib', 'gzip', 'brotli'] as const;

/** A compression method celeriac can write (kombu's name for it). */
export type CompressionMethod = (typeof COMPRESSION_METHODS)[number];

/** kombu's MIME type for each method: the value of the `compression` header. */
export const COMPRESSION_CONTENT_TYPES = {
  zlib: 'application/x-gzip',
  gzip: 'application/x-gzip',
  brotli: 'application/x-brotli',
} as const satisfies Record<CompressionMethod, string>;

/** Every MIME type kombu 5.6 can register, with the name celeriac reports it by. */
const KNOWN_CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['application/x-gzip', 'zlib'],
  ['application/x-brotli', 'brotli'],
  ['application/x-bz2', 'bzip2'],
  ['application/x-lzma', 'lzma'],
  ['application/zstd', 'zstd'],
]);

/** Aliases kombu accepts for each MIME type (`kombu.compression.register(..., aliases=...)`). */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['gzip', 'application/x-gzip'],
  ['zlib', 'application/x-gzip'],
  ['brotli', 'application/x-brotli'],
  ['bzip2', 'application/x-bz2'],
  ['bzip', 'application/x-bz2'],
  ['lzma', 'application/x-lzma'],
  ['xz', 'application/x-lzma'],
  ['zstd', 'application/zstd'],
  ['zstandard', 'application/zstd'],
]);

/** Whether `value` names a method celeriac can write. */
export function isCompressionMethod(value: unknown): value is CompressionMethod {
  return typeof value === 'string' && (COMPRESSION_METHODS as readonly string[]).includes(value);
}

/**
 * Compresses a serialized body as kombu's `compress(body, method)` does.
 *
 * @returns the compressed bytes and the `compression` header value.
 * @example
 * compressBody(Buffer.from('[[2, 3], {}, {}]'), 'zlib').contentType // 'application/x-gzip'
 */
export function compressBody(
  bytes: Uint8Array,
  method: CompressionMethod,
): { readonly bytes: Buffer; readonly contentType: string } {
  const contentType = COMPRESSION_CONTENT_TYPES[method];
  const compressed = method === 'brotli' ? brotliCompressSync(bytes) : deflateSync(bytes);
  return { bytes: compressed, contentType };
}

/**
 * Inflates a body compressed with the method the `compression` header names (a MIME type, or one of kombu's
 * aliases), never producing more than `maxOutputLength` bytes.
 *
 * @throws {DecodeError} naming the limit when the body inflates past it, naming the method when it is corrupt
 *   or not one celeriac reads.
 */
export function decompressBody(bytes: Uint8Array, header: string, maxOutputLength: number): Buffer {
  const contentType = ALIASES.get(header) ?? header;
  const name = KNOWN_CONTENT_TYPES.get(contentType) ?? header;
  try {
    if (name === 'zlib') return inflateSync(bytes, { maxOutputLength });
    if (name === 'brotli') return brotliDecompressSync(bytes, { maxOutputLength });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw DecodeError.at(
        'envelope body',
        `the ${name} body inflates to more than ${maxOutputLength} bytes, the limit; ` +
          'raise `maxPayloadBytes` if such bodies are expected, or send the data by reference',
        { cause: error },
      );
    }
    throw DecodeError.at('envelope body', `the ${name} stream is corrupt`, { cause: error });
  }
  throw DecodeError.at(
    'envelope body',
    `compression ${JSON.stringify(header)} is not supported (celeriac reads zlib "application/x-gzip" and ` +
      'brotli "application/x-brotli"; bzip2, lzma and zstd have no size-bounded decoder here); ' +
      "send uncompressed or with compression='zlib'",
  );
}
