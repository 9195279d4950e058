/**
 * A growing output buffer that refuses to pass a size limit: what the xz and bzip2 decoders write into, so a
 * decompression bomb stops at the limit instead of filling memory.
 */

/** Thrown at the limit; carries zlib's own code (`ERR_BUFFER_TOO_LARGE`) so every method is refused alike. */
export class OutputTooLarge extends Error {
  override readonly name = 'OutputTooLarge';
  readonly code = 'ERR_BUFFER_TOO_LARGE';
  constructor(maxOutputLength: number) {
    super(`Cannot create a Buffer larger than ${maxOutputLength} bytes`);
  }
}

/** Bytes written so far, at most `maxOutputLength` of them. */
export class BoundedOutput {
  private buffer: Buffer;
  private length = 0;
  readonly maxOutputLength: number;

  constructor(maxOutputLength: number) {
    this.maxOutputLength = maxOutputLength;
    this.buffer = Buffer.allocUnsafe(Math.min(maxOutputLength, 64 * 1024));
  }

  /** Appends one byte (seek-bzip's output stream interface). */
  writeByte(byte: number): void {
    if (this.length === this.buffer.length) this.grow(1);
    this.buffer[this.length++] = byte;
  }

  /** Appends a chunk. */
  write(chunk: Uint8Array): void {
    if (this.length + chunk.byteLength > this.buffer.length) this.grow(chunk.byteLength);
    this.buffer.set(chunk, this.length);
    this.length += chunk.byteLength;
  }

  /** What was written, as a Buffer of its own. */
  result(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }

  private grow(needed: number): void {
    const want = this.length + needed;
    if (want > this.maxOutputLength) throw new OutputTooLarge(this.maxOutputLength);
    const next = Buffer.allocUnsafe(Math.min(this.maxOutputLength, Math.max(want, this.buffer.length * 2)));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}
