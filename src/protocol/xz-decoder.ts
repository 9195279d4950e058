/**
 * xz (`application/x-lzma`, kombu's `lzma.compress`: the xz container with LZMA2) decoded with `xz-decompress`,
 * xz-embedded compiled to WebAssembly. It inflates in chunks of 64 KiB; celeriac yields to the event loop
 * between chunks, so timers and other messages keep running, and stops at the limit. The decoder refuses a
 * dictionary larger than 64 MiB (xz's largest preset) before allocating it.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { BoundedOutput } from './bounded-output.js';
import { xzLibrary } from './optional-libraries.js';

/**
 * Inflates an xz body.
 *
 * @throws {OutputTooLarge} past `maxOutputLength` bytes; the decoder's own error for corrupt data.
 */
export async function inflateXz(bytes: Uint8Array, maxOutputLength: number): Promise<Buffer> {
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(bytes));
      controller.close();
    },
  });
  const xzDecompress = await xzLibrary.load();
  const reader = new xzDecompress.XzReadableStream(input).getReader();
  const output = new BoundedOutput(maxOutputLength);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return output.result();
      output.write(value);
      await yieldToEventLoop();
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  }
}
