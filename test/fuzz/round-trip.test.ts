/**
 * Decoding what celeriac encodes gives back the value it started from, for every value each format can carry,
 * and encoding it again gives the same bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  claimMeta,
  encodeS3Pointer,
  parseS3Pointer,
  resultPayloadClaim,
} from '../../src/protocol/payload-pointer.js';
import { buildResultMeta, decodeResultMeta, encodeResultMeta } from '../../src/protocol/result-meta.js';
import { buildTaskMessage, decodeTaskMessage, encodeTaskMessage } from '../../src/protocol/task-message.js';
import { kombuJsonDumps, kombuJsonLoads } from '../../src/protocol/type-tags.js';
import { anyString, kombuValue, resultMetaInput, taskMessageInput } from './arbitraries.js';
import { FUZZ_TIMEOUT_MS, fuzzParameters } from './fuzz-runs.js';

describe('encode then decode is the identity', () => {
  it(
    'on kombu-typed values',
    () => {
      fc.assert(
        fc.property(kombuValue, (value) => {
          const text = kombuJsonDumps(value);
          const decoded = kombuJsonLoads(text, 'fuzz');
          expect(decoded).toEqual(value);
          expect(kombuJsonDumps(decoded)).toBe(text);
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'on task messages, with every field a producer may set',
    () => {
      fc.assert(
        fc.property(taskMessageInput, fc.boolean(), (input, base64) => {
          const message = buildTaskMessage(input);
          const body = encodeTaskMessage(message, { base64 });
          const decoded = decodeTaskMessage(body);
          expect(decoded).toEqual(message);
          expect(encodeTaskMessage(decoded, { base64 })).toBe(body);
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'on result metas',
    () => {
      fc.assert(
        fc.property(resultMetaInput, (input) => {
          const meta = buildResultMeta(input);
          const text = encodeResultMeta(meta);
          const decoded = decodeResultMeta(text);
          expect(decoded).toEqual(meta);
          expect(encodeResultMeta(decoded)).toBe(text);
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'on S3 pointers and result payload claims',
    () => {
      fc.assert(
        fc.property(anyString, anyString, fc.nat(), resultMetaInput, (s3BucketName, s3Key, size, input) => {
          expect(parseS3Pointer(encodeS3Pointer({ s3BucketName, s3Key }))).toEqual({ s3BucketName, s3Key });
          const claim = { s3BucketName, s3Key, size };
          const stored = decodeResultMeta(encodeResultMeta(claimMeta(buildResultMeta(input), claim)));
          expect(resultPayloadClaim(stored)).toEqual(claim);
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});
