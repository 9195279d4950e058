/**
 * The refusal every payload store gives for an object over the reader's limit, so adapters word it alike.
 */
import { PayloadTooLargeError } from '../protocol/errors.js';
import type { PayloadLocation } from './payload-store.js';

/**
 * The error for a stored payload of `sizeBytes` read under a limit of `maxBytes`; the object was not read.
 *
 * @example
 * throw payloadTooLarge({ bucket: 'b', key: 'celeriac/t/message.json' }, 20_971_520, 1_048_576);
 * // PayloadTooLargeError: The payload at s3://b/celeriac/t/message.json is 20971520 bytes, over the limit of ...
 */
export function payloadTooLarge(
  location: PayloadLocation,
  sizeBytes: number,
  maxBytes: number,
): PayloadTooLargeError {
  return PayloadTooLargeError.of(
    `payload at s3://${location.bucket}/${location.key}`,
    sizeBytes,
    maxBytes,
    'It was not read. Raise `maxPayloadBytes` if payloads this large are expected; otherwise find out who wrote the object.',
  );
}
