/**
 * kombu's body compression (`kombu/compression.py`): the methods celeriac writes and reads, their MIME types in the
 * `compression` header, and inflation under a size bound.
 *
 * | option              | `compression` header   | stream                  | celeriac writes | celeriac reads (async, the worker) | sync read ({@link decompressBody}) |
 * |---------------------|------------------------|-------------------------|-----------------|------------------------------------|------------------------------------|
 * | `zlib`, `gzip`      | `application/x-gzip`   | a zlib stream (kombu's `zlib.compress`, despite the name) | yes (`node:zlib`) | `node:zlib` on the thread pool | yes |
 * | `brotli`            | `application/x-brotli` | brotli                  | yes (`node:zlib`) | `node:zlib` on the thread pool   | yes |
 * | `zstd`, `zstandard` | `application/zstd`     | zstandard frame         | yes (`node:zlib`, Node >= 22.15) | `node:zlib` on the thread pool | yes |
 * | `lzma`, `xz`        | `application/x-lzma`   | xz container            | no (refused, named) | `xz-decompress` (WebAssembly xz-embedded), 64 KiB at a time, yielding between chunks | no |
 * | `bzip2`, `bzip`     | `application/x-bz2`    | bzip2                   | no (refused, named) | `seek-bzip` (pure JS), on the event loop, stopped at the limit | yes |
 *
 * Every read stops at `maxOutputLength` bytes and refuses the body with a {@link DecodeError} that names the
 * limit. zlib, brotli and zstd inflate on libuv's thread pool, and xz in 64 KiB steps that let timers run, so a
 * bomb does not hold the event loop; bzip2's only well-kept decoder is synchronous JavaScript, so a bzip2 body
 * holds the event loop while it inflates (bounded by the limit: about 15 ms per MiB). xz and bzip2 are not
 * written: no well-kept pure-JavaScript or WebAssembly encoder exists for them (the xz encoders are native
 * add-ons, the bzip2 ones unmaintained). Node's zstd is marked experimental in its documentation (it prints no
 * warning); on a Node without it, zstd is refused both ways with a reason that names the Node version.
 */
import * as zlib from 'node:zlib';
import { inflateBzip2 } from './bzip2-decoder.js';
import { DecodeError, EncodeError } from './errors.js';
import { DEFAULT_MAX_BZIP2_BYTES } from './limits.js';

/** The compression methods celeriac can write, by kombu's names (`compression='zlib'`). */
export const COMPRESSION_METHODS = ['zlib', 'gzip', 'brotli', 'zstd', 'zstandard'] as const;

/** A compression method celeriac can write (kombu's name for it). */
export type CompressionMethod = (typeof COMPRESSION_METHODS)[number];

/** The methods celeriac writes, as a validation message lists them. */
export const COMPRESSION_METHODS_TEXT = "'zlib', 'gzip', 'brotli' or 'zstd'";

/** kombu's MIME type for each method: the value of the `compression` header. */
export const COMPRESSION_CONTENT_TYPES = {
  zlib: 'application/x-gzip',
  gzip: 'application/x-gzip',
  brotli: 'application/x-brotli',
  zstd: 'application/zstd',
  zstandard: 'application/zstd',
} as const satisfies Record<CompressionMethod, string>;

/** The names celeriac reports each method by (in messages), keyed by kombu's MIME type. */
export const COMPRESSION_NAMES: ReadonlyMap<string, CompressionName> = new Map([
  ['application/x-gzip', 'zlib'],
  ['application/x-brotli', 'brotli'],
  ['application/zstd', 'zstd'],
  ['application/x-lzma', 'xz'],
  ['application/x-bz2', 'bzip2'],
]);

/** A compression method celeriac reads, by the name it reports it by. */
export type CompressionName = 'zlib' | 'brotli' | 'zstd' | 'xz' | 'bzip2';

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

/** Node's zstd functions (Node >= 22.15 and 23.8); absent on older lines, so looked up rather than imported. */
interface NodeZstd {
  zstdCompressSync(buffer: Uint8Array, options?: { pledgedSrcSize?: number }): Buffer;
  zstdDecompressSync(buffer: Uint8Array, options: { maxOutputLength: number }): Buffer;
  zstdDecompress(
    buffer: Uint8Array,
    options: { maxOutputLength: number },
    callback: (error: Error | null, result: Buffer) => void,
  ): void;
}

/** Node's zstd, or `undefined` on a Node that has none. @internal */
export const nodeZstd: NodeZstd | undefined =
  typeof (zlib as unknown as Partial<NodeZstd>).zstdDecompress === 'function'
    ? (zlib as unknown as NodeZstd)
    : undefined;

const ZSTD_MISSING = `zstd needs Node.js 22.15 or later (node:zlib's zstd), this is ${process.version}`;

/** Whether `value` names a method celeriac can write. */
export function isCompressionMethod(value: unknown): value is CompressionMethod {
  return typeof value === 'string' && (COMPRESSION_METHODS as readonly string[]).includes(value);
}

/**
 * The method a `compression` header names (a MIME type, or one of kombu's aliases), or `undefined` for one
 * kombu does not register.
 */
export function compressionNameOf(header: string): CompressionName | undefined {
  return COMPRESSION_NAMES.get(ALIASES.get(header) ?? header);
}

/**
 * Compresses a serialized body as kombu's `compress(body, method)` does.
 *
 * @returns the compressed bytes and the `compression` header value.
 * @throws {EncodeError} for a method celeriac does not write (bzip2, lzma), and for zstd on a Node.js without
 *   it (before 22.15).
 * @example
 * compressBody(Buffer.from('[[2, 3], {}, {}]'), 'zlib').contentType // 'application/x-gzip'
 */
export function compressBody(
  bytes: Uint8Array,
  method: CompressionMethod,
): { readonly bytes: Buffer; readonly contentType: string } {
  const contentType = COMPRESSION_CONTENT_TYPES[method];
  if (method === 'brotli') return { bytes: zlib.brotliCompressSync(bytes), contentType };
  if (method === 'zstd' || method === 'zstandard') {
    if (!nodeZstd) {
      throw new EncodeError(
        `Cannot compress the body with ${method}: ${ZSTD_MISSING}; use 'zlib' or 'brotli'`,
        {
          path: '$',
        },
      );
    }
    // The frame records the content size, which python-zstandard's `decompress()` (kombu's decoder) requires.
    return { bytes: nodeZstd.zstdCompressSync(bytes, { pledgedSrcSize: bytes.byteLength }), contentType };
  }
  if (method === 'zlib' || method === 'gzip') return { bytes: zlib.deflateSync(bytes), contentType };
  throw new EncodeError(
    `Cannot compress the body with ${JSON.stringify(method)}: celeriac writes ${COMPRESSION_METHODS_TEXT}; ` +
      'bzip2 and lzma/xz are read but not written, for want of a well-kept JavaScript or WebAssembly encoder',
    { path: '$' },
  );
}

/**
 * Inflates a body synchronously, never producing more than `maxOutputLength` bytes (bzip2: `maxBzip2Bytes`,
 * 1 MiB by default, when that is smaller): zlib, brotli, zstd and bzip2. The worker reads with the asynchronous `inflateBody` (`inflate-body.ts`), which also reads xz.
 *
 * @throws {DecodeError} naming the limit when the body inflates past it, naming the method when it is corrupt
 *   or not one celeriac reads (xz needs the asynchronous decoder).
 */
export function decompressBody(
  bytes: Uint8Array,
  header: string,
  maxOutputLength: number,
  options: { readonly maxBzip2Bytes?: number } = {},
): Buffer {
  const name = compressionNameOf(header);
  const limit = inflateLimit(name, maxOutputLength, options.maxBzip2Bytes);
  try {
    if (name === 'zlib') return zlib.inflateSync(bytes, { maxOutputLength });
    if (name === 'brotli') return zlib.brotliDecompressSync(bytes, { maxOutputLength });
    if (name === 'zstd' && nodeZstd) return nodeZstd.zstdDecompressSync(bytes, { maxOutputLength });
    if (name === 'bzip2') return inflateBzip2(bytes, limit.bytes);
  } catch (error) {
    throw inflateError(name ?? header, limit.bytes, error, limit.setting);
  }
  if (name === 'xz') {
    throw DecodeError.at(
      'envelope body',
      'the xz decoder is asynchronous: decode with decodeTaskMessageAsync (as the worker does)',
    );
  }
  throw unsupportedCompression(header);
}

/** The refusal of a `compression` header celeriac cannot read (or zstd on a Node without it). @internal */
export function unsupportedCompression(header: string): DecodeError {
  const zstd = compressionNameOf(header) === 'zstd' ? ` (${ZSTD_MISSING})` : '';
  return DecodeError.at(
    'envelope body',
    `compression ${JSON.stringify(header)} is not supported${zstd}; celeriac reads kombu's ` +
      '"application/x-gzip", "application/x-brotli", "application/zstd", "application/x-lzma" and ' +
      '"application/x-bz2"; send uncompressed or with compression=\'zlib\'',
  );
}

/** The inflated-size limit of a method and the setting that sets it. @internal */
export interface InflateLimit {
  readonly bytes: number;
  /** The setting to raise, with why it applies: `maxPayloadBytes`, or `maxBzip2Bytes` for bzip2. */
  readonly setting: string;
}

/**
 * The limit a body compressed with `name` inflates to: `maxPayloadBytes`, or for bzip2 the smaller of it and
 * `maxBzip2Bytes` (bzip2 inflates on the event loop). @internal
 */
export function inflateLimit(
  name: string | undefined,
  maxOutputLength: number,
  maxBzip2Bytes: number = DEFAULT_MAX_BZIP2_BYTES,
): InflateLimit {
  if (name === 'bzip2' && maxBzip2Bytes < maxOutputLength) {
    return {
      bytes: maxBzip2Bytes,
      setting: '`maxBzip2Bytes` (bzip2 inflates on the event loop, so its limit is lower)',
    };
  }
  return { bytes: maxOutputLength, setting: '`maxPayloadBytes`' };
}

/** The refusal of a body that failed to inflate: past the limit (named), or corrupt. @internal */
export function inflateError(
  name: string,
  maxOutputLength: number,
  error: unknown,
  setting = '`maxPayloadBytes`',
): DecodeError {
  if (error instanceof DecodeError) return error;
  if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
    return DecodeError.at(
      'envelope body',
      `the ${name} body inflates to more than ${maxOutputLength} bytes, the limit; ` +
        `raise ${setting} if such bodies are expected, or send the data by reference`,
      { cause: error },
    );
  }
  return DecodeError.at('envelope body', `the ${name} stream is corrupt`, { cause: error });
}
