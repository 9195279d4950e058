/**
 * bzip2 (`application/x-bz2`, kombu's `bz2.compress`) decoded with `seek-bzip`, a pure-JavaScript decoder,
 * into a {@link BoundedOutput}: decoding stops at the limit. The decoder is synchronous, so a bzip2 body holds
 * the event loop while it inflates; the limit bounds that time too (about 10 ms per MiB of a bomb of repeated
 * bytes, 0.2 s per MiB of incompressible data), which is why bzip2's default limit is lower
 * (`DEFAULT_MAX_BZIP2_BYTES`).
 */
import { BoundedOutput } from './bounded-output.js';
import { bzip2Library } from './optional-libraries.js';

/**
 * Inflates a bzip2 body (one stream or several concatenated, as Python's `bz2.decompress` reads them). The
 * decoder loads on first use (`bzip2Library`): asynchronous callers load it first.
 *
 * @throws {OutputTooLarge} past `maxOutputLength` bytes; the decoder's own error for corrupt data.
 */
export function inflateBzip2(bytes: Uint8Array, maxOutputLength: number): Buffer {
  const output = new BoundedOutput(maxOutputLength);
  // seek-bzip reads a Buffer (it calls Buffer methods on the input).
  bzip2Library.get().decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), output, true);
  return output.result();
}
