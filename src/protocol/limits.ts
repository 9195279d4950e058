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
 * The default bound on a bzip2 body's inflated size, in bytes (1 MiB), below {@link DEFAULT_MAX_PAYLOAD_BYTES}
 * because bzip2 inflates on the event loop (its only well-kept decoder is synchronous JavaScript): incompressible
 * data costs it about 0.2 s of CPU per MiB, a bomb of repeated bytes about 10 ms per MiB (docs/security.md), so
 * this bounds how long one hostile message can hold a worker's timers and heartbeats.
 */
export const DEFAULT_MAX_BZIP2_BYTES = 1024 * 1024;

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
   * The largest a bzip2 body may inflate to, in bytes (the smaller of this and `maxPayloadBytes` applies).
   * @default {@link DEFAULT_MAX_BZIP2_BYTES} (1 MiB)
   */
  readonly maxBzip2Bytes?: number;
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
