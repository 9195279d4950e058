import { brotliCompressSync, constants, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { base64Encode, decodeSqsMessageBody, envelopeBodyText } from '../../../src/protocol/envelope.js';
import { DecodeError } from '../../../src/protocol/errors.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../../../src/protocol/limits.js';
import { decodeTaskMessage } from '../../../src/protocol/task-message.js';
import { slowdown } from '../../fuzz/measure.js';
import { envelopeMessageBody, validMessageBody } from '../../fuzz/sample-messages.js';

const BODY = '[[2, 3], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]';

function compressedMessage(compressed: Buffer, mimeType: string): string {
  return envelopeMessageBody({
    body: compressed.toString('base64'),
    headers: { task: 'tasks.add', id: 't-1', compression: mimeType },
  });
}

describe('envelope body base64', () => {
  it('reads base64 with whitespace in it and after the padding, as kombu does', () => {
    const encoded = base64Encode(BODY);
    const spaced = `${encoded.slice(0, 8)}\n${encoded.slice(8, 20)} \r\n${encoded.slice(20)}  \n`;
    expect(decodeTaskMessage(envelopeMessageBody({ body: spaced })).args).toEqual([2, 3]);
  });

  it('refuses a body that is not base64, naming the layer', () => {
    expect(() => decodeTaskMessage(envelopeMessageBody({ body: 'W1sy!LCAzXV0=' }))).toThrow(
      /envelope body.*not base64/,
    );
    expect(() => decodeTaskMessage(envelopeMessageBody({ body: 'W1syLCAzXV0=x' }))).toThrow(DecodeError);
  });

  it('refuses 244 KiB of spaces followed by "!" in time linear in its size', () => {
    const hostile = envelopeMessageBody({ body: `${' '.repeat(244 * 1024)}!` });
    const valid = validMessageBody(hostile.length);
    expect(() => decodeTaskMessage(hostile)).toThrow(DecodeError);
    // The quadratic pattern took seconds here; linear work is a small multiple of a valid decode.
    expect(
      slowdown(
        () => decodeTaskMessage(hostile),
        () => decodeTaskMessage(valid),
      ),
    ).toBeLessThan(20);
  });

  it('refuses an SQS MessageBody of spaces followed by "!" in linear time', () => {
    const hostile = `${' '.repeat(1024 * 1024)}!`;
    expect(() => decodeSqsMessageBody(hostile)).toThrow(DecodeError);
    const valid = validMessageBody(hostile.length);
    expect(
      slowdown(
        () => decodeSqsMessageBody(hostile),
        () => decodeTaskMessage(valid),
      ),
    ).toBeLessThan(20);
  });
});

describe('envelope body decompression', () => {
  it('inflates zlib and brotli bodies', () => {
    const zlib = compressedMessage(deflateSync(Buffer.from(BODY)), 'application/x-gzip');
    const brotli = compressedMessage(brotliCompressSync(Buffer.from(BODY)), 'application/x-brotli');
    expect(decodeTaskMessage(zlib).args).toEqual([2, 3]);
    expect(decodeTaskMessage(brotli).args).toEqual([2, 3]);
  });

  it('bounds inflation by 64 MiB by default', () => {
    expect(DEFAULT_MAX_PAYLOAD_BYTES).toBe(64 * 1024 * 1024);
    const bomb = brotliCompressSync(Buffer.alloc(DEFAULT_MAX_PAYLOAD_BYTES + 1, 0x20), {
      params: { [constants.BROTLI_PARAM_QUALITY]: 1 },
    });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const message = compressedMessage(bomb, 'application/x-brotli');
    expect(() => decodeTaskMessage(message)).toThrow(DecodeError);
    expect(() => decodeTaskMessage(message)).toThrow(
      `brotli body inflates to more than ${DEFAULT_MAX_PAYLOAD_BYTES} bytes, the limit; raise \`maxPayloadBytes\``,
    );
  });

  it("refuses a zlib body that inflates past the caller's maxPayloadBytes, and reads one that fits", () => {
    const text = JSON.stringify([['x'.repeat(4096)], {}, null]);
    const message = compressedMessage(deflateSync(Buffer.from(text)), 'application/x-gzip');
    expect(() => decodeTaskMessage(message, { maxPayloadBytes: 1024 })).toThrow(
      /zlib body inflates to more than 1024 bytes/,
    );
    expect(decodeTaskMessage(message, { maxPayloadBytes: text.length }).args).toEqual(['x'.repeat(4096)]);
  });

  it('takes the limit in envelopeBodyText too', () => {
    const envelope = decodeSqsMessageBody(
      compressedMessage(deflateSync(Buffer.alloc(10_000, 0x20)), 'application/x-gzip'),
    ).envelope;
    if (!envelope) throw new Error('expected an envelope');
    expect(() => envelopeBodyText(envelope, { maxPayloadBytes: 9_999 })).toThrow(DecodeError);
    expect(envelopeBodyText(envelope, { maxPayloadBytes: 10_000 })).toHaveLength(10_000);
  });
});
