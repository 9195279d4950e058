/**
 * The limits that keep a decoder's work proportional to its input, so that one hostile message cannot stall or
 * exhaust a worker: how deep JSON may nest, and how large a compressed body may grow when it is inflated.
 */
import type { MessageVerifier } from './auth-serializer.js';

/**
 * The deepest nesting of arrays and objects celeriac reads or writes. Deeper JSON is refused with a
 * `DecodeError` (reading) or an `EncodeError` (writing) instead of overflowing the call stack. Python's `json`
 * stops at its recursion limit (1,000 by default), so no Celery peer sends or reads anything deeper.
 */
export const MAX_NESTING_DEPTH = 1000;

/**
 * The default bound on a decompressed message body, in bytes (64 MiB): the same default as the app's
 * `maxPayloadBytes`. A compressed body that inflates past it is refused, so a few kilobytes of brotli cannot
 * become a gigabyte in memory.
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/**
 * Options of the message decoders.
 *
 * @example
 * decodeTaskMessage(record.body, { maxPayloadBytes: config.maxPayloadBytes });
 */
export interface DecodeOptions {
  /**
   * The largest a decompressed body may be, in bytes.
   * @default {@link DEFAULT_MAX_PAYLOAD_BYTES} (64 MiB)
   */
  readonly maxPayloadBytes?: number;
  /**
   * Content types to read (Celery's `accept_content`, as content types: see `acceptedContentTypes`). Pickle is
   * refused whatever this says.
   * @default `['application/json']`
   */
  readonly acceptContent?: readonly string[];
  /**
   * Require signed messages (Celery's `auth` serializer) and verify them against this certificate store before
   * anything of the body is decoded. Default: no verification, and signed messages are refused as
   * `application/data`.
   */
  readonly verifier?: MessageVerifier;
  /**
   * Read JSON bodies in exact mode: integers beyond 2^53 as `bigint`, integral floats as `PythonFloat`,
   * datetimes as `PythonDateTime` (see `exact-values.ts`).
   * @default false
   */
  readonly exactValues?: boolean;
}
