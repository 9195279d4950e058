/**
 * No input takes a decoder more than linear time: a megabyte of the most hostile input known for each decoder is
 * decoded or refused within a fixed multiple of the time a valid message of the same size takes. Only the ratio
 * is asserted, never a duration, so a slow or busy machine cannot fail it.
 */
import { brotliCompressSync, constants, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseS3Pointer } from '../../src/protocol/payload-pointer.js';
import { decodeResultMeta } from '../../src/protocol/result-meta.js';
import { decodeTaskMessage } from '../../src/protocol/task-message.js';
import { kombuJsonDumps, kombuJsonLoads } from '../../src/protocol/type-tags.js';
import { FUZZ_TIMEOUT_MS, fuzzParameters, TIMING_RUNS } from './fuzz-runs.js';
import { slowdown } from './measure.js';
import {
  envelopeMessageBody,
  sampleRecords,
  taskMessageBody,
  validMessageBody,
  validResultMetaText,
} from './sample-messages.js';

/** How many times slower than a valid message of the same size a hostile one may be. */
const MAX_SLOWDOWN = 20;
const MIB = 1024 * 1024;
/** Characters of task-body text that make about a MiB of `MessageBody` once base64-encoded twice. */
const BODY_CHARS = Math.floor((MIB * 9) / 16);

const repeatTo = (unit: string, length: number): string => unit.repeat(Math.ceil(length / unit.length));

/** Hostile `MessageBody`s of about a MiB each, by what they attack. */
const hostileMessageBodies: Record<string, () => string> = {
  'spaces then "!"': () => `${' '.repeat(MIB)}!`,
  'unclosed "["': () => '['.repeat(MIB),
  'unclosed {"a": {"a": ...': () => repeatTo('{"a": ', MIB),
  'base64 letters with a bad tail': () => `${'A'.repeat(MIB - 1)}!`,
  'base64 letters with too much padding': () => `${'A'.repeat(MIB - 4)}====`,
  'an unterminated string of escapes': () => `"${repeatTo('\\u0000', MIB)}`,
  'bare NaN tokens with a bad tail': () => `[${repeatTo('NaN, ', MIB)}!`,
  'an envelope body of spaces then "!"': () => envelopeMessageBody({ body: `${' '.repeat((MIB * 3) / 4)}!` }),
  'an envelope body of base64, padding, spaces, then "!"': () =>
    envelopeMessageBody({ body: `${'A'.repeat(MIB / 2)}=${' '.repeat(MIB / 4)}!` }),
  'a task body of unclosed "["': () => taskMessageBody('['.repeat(BODY_CHARS)),
  'a task body nested {"a": ...} 100,000 deep': () =>
    taskMessageBody(`[[${'{"a": '.repeat(100_000)}0${'}'.repeat(100_000)}], {}, null]`),
  'a task body of escaped quotes': () =>
    taskMessageBody(`[["${repeatTo('\\"', BODY_CHARS - 20)}"], {}, null]`),
  'a task body of many one-character keys': () => {
    const keys = Array.from({ length: BODY_CHARS / 12 }, (_, i) => `"${i.toString(36)}": 0`);
    return taskMessageBody(`[[], {${keys.join(', ')}}, null]`);
  },
  'a datetime tag of spaces then "x"': () =>
    taskMessageBody(
      `[[{"__type__": "datetime", "__value__": "2024-01-01${' '.repeat(BODY_CHARS - 80)}x"}], {}, null]`,
    ),
  'a decimal tag of digits then "x"': () =>
    taskMessageBody(`[[{"__type__": "decimal", "__value__": "${'1'.repeat(BODY_CHARS - 80)}x"}], {}, null]`),
  'a base64 tag with a bad tail': () =>
    taskMessageBody(`[[{"__type__": "base64", "__value__": "${'A'.repeat(BODY_CHARS - 80)}!"}], {}, null]`),
  'a uuid tag of braces': () =>
    taskMessageBody(
      `[[{"__type__": "uuid", "__value__": {"hex": "${'{'.repeat(BODY_CHARS - 80)}"}}], {}, null]`,
    ),
};

/** A compressed body past the default 64 MiB limit: refused after inflating to the limit, no further. */
function bomb(compress: (bytes: Buffer) => Buffer, mimeType: string): string {
  const compressed = compress(Buffer.alloc(65 * MIB, 0x20));
  return envelopeMessageBody({
    body: compressed.toString('base64'),
    headers: { task: 'tasks.add', id: 't-1', compression: mimeType },
  });
}

const bombs: Record<string, () => string> = {
  'a zlib bomb': () => bomb((bytes) => deflateSync(bytes, { level: 1 }), 'application/x-gzip'),
  'a brotli bomb': () =>
    bomb(
      (bytes) => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } }),
      'application/x-brotli',
    ),
};

/** Hostile texts of about a MiB for the JSON-level decoders (result metas, kombu JSON). */
const hostileJsonTexts: Record<string, () => string> = {
  'spaces then "!"': () => `${' '.repeat(MIB)}!`,
  'unclosed "["': () => '['.repeat(MIB),
  'closed "[" a million deep': () => `${'['.repeat(MIB / 2)}${']'.repeat(MIB / 2)}`,
  'a meta whose result is unclosed {"a": ...': () =>
    `{"status": "SUCCESS", "result": ${repeatTo('{"a": ', MIB)}`,
  'an unterminated string of escapes': () => `{"status": "${repeatTo('\\\\', MIB)}`,
  'bare NaN tokens with a bad tail': () => `{"status": "SUCCESS", "result": [${repeatTo('NaN, ', MIB)}!`,
  'a million empty tags': () => `[${repeatTo('{"__type__": "date", "__value__": "2024-01-01"}, ', MIB)}0]`,
};

describe('decoding time is linear in the input', () => {
  let validMessage = '';
  let validMeta = '';
  beforeAll(() => {
    validMessage = validMessageBody(MIB);
    validMeta = validResultMetaText(MIB);
  });

  it.each(Object.entries(hostileMessageBodies))(
    'decodeTaskMessage on %s',
    (_name, build) => {
      const hostile = build();
      expect(hostile.length).toBeGreaterThan(MIB / 2);
      const ratio = slowdown(
        () => decodeTaskMessage(hostile),
        () => decodeTaskMessage(validMessage),
      );
      expect(ratio).toBeLessThan(MAX_SLOWDOWN);
    },
    FUZZ_TIMEOUT_MS,
  );

  it.each(Object.entries(bombs))(
    'decodeTaskMessage on %s, refused at the limit',
    (_name, build) => {
      const hostile = build();
      expect(() => decodeTaskMessage(hostile)).toThrow(/inflates to more than 67108864 bytes/);
      const ratio = slowdown(
        () => decodeTaskMessage(hostile),
        () => decodeTaskMessage(validMessage),
      );
      expect(ratio).toBeLessThan(MAX_SLOWDOWN);
    },
    FUZZ_TIMEOUT_MS,
  );

  it.each(Object.entries(hostileJsonTexts))(
    'decodeResultMeta and kombuJsonLoads on %s',
    (_name, build) => {
      const hostile = build();
      const metaRatio = slowdown(
        () => decodeResultMeta(hostile),
        () => decodeResultMeta(validMeta),
      );
      expect(metaRatio).toBeLessThan(MAX_SLOWDOWN);
      const loadsRatio = slowdown(
        () => kombuJsonLoads(hostile, 'fuzz'),
        () => kombuJsonLoads(validMeta, 'fuzz'),
      );
      expect(loadsRatio).toBeLessThan(MAX_SLOWDOWN);
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'parseS3Pointer on a million "[" and on a long pointer of escapes',
    () => {
      // parseS3Pointer sees every MessageBody; a valid one of the same size is typical JSON, not a pointer.
      const valid = kombuJsonDumps(sampleRecords(MIB));
      const nearly = `["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": "b", "s3Key": "${repeatTo('\\"', MIB)}`;
      for (const hostile of ['['.repeat(MIB), nearly]) {
        expect(
          slowdown(
            () => parseS3Pointer(hostile),
            () => parseS3Pointer(valid),
          ),
        ).toBeLessThan(MAX_SLOWDOWN);
      }
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'holds for text repeated from random pieces of JSON and base64 syntax',
    () => {
      const size = MIB / 4;
      const validBody = validMessageBody(size);
      const validText = kombuJsonDumps(sampleRecords(size));
      const piece = fc.constantFrom(
        ' ',
        '[',
        '{"a": ',
        '"',
        '\\',
        '\\u0000',
        'NaN, ',
        'A',
        '=',
        '1',
        'e',
        ',',
      );
      fc.assert(
        fc.property(
          fc.array(piece, { minLength: 1, maxLength: 4 }),
          fc.string({ maxLength: 4 }),
          (unit, tail) => {
            const text = repeatTo(unit.join(''), size) + tail;
            for (const body of [text, envelopeMessageBody({ body: text })]) {
              expect(
                slowdown(
                  () => decodeTaskMessage(body),
                  () => decodeTaskMessage(validBody),
                ),
              ).toBeLessThan(MAX_SLOWDOWN);
            }
            expect(
              slowdown(
                () => kombuJsonLoads(text, 'fuzz'),
                () => kombuJsonLoads(validText, 'fuzz'),
              ),
            ).toBeLessThan(MAX_SLOWDOWN);
          },
        ),
        fuzzParameters(TIMING_RUNS),
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});
