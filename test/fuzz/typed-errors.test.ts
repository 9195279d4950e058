/**
 * Every decoder either returns or throws one of celeriac's typed errors, whatever bytes it is given: never a
 * TypeError, a RangeError or anything else a worker cannot turn into a reason.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ErrorTable } from '../../src/exception-table.js';
import { decodeSqsMessageBody } from '../../src/protocol/envelope.js';
import { isCeleriacError } from '../../src/protocol/errors.js';
import { isExceptionInfo } from '../../src/protocol/exception-info.js';
import { parseS3Pointer, resultPayloadClaim } from '../../src/protocol/payload-pointer.js';
import { pythonJsonLoads } from '../../src/protocol/python-json.js';
import { decodeResultMeta } from '../../src/protocol/result-meta.js';
import { decodeTaskMessage } from '../../src/protocol/task-message.js';
import { fromTaggedJson, kombuJsonLoads } from '../../src/protocol/type-tags.js';
import {
  hostileJson,
  hostileMessageBody,
  hostilePointer,
  hostileResultMeta,
  hostileText,
} from './arbitraries.js';
import { FUZZ_TIMEOUT_MS, fuzzParameters } from './fuzz-runs.js';

/** Runs `decode`; a celeriac error is a refusal and passes, anything else thrown fails the property. */
function decodesOrRefuses(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    if (!isCeleriacError(error)) throw error;
  }
}

describe('decoders throw only typed errors', () => {
  it(
    'decodeTaskMessage, on any SQS MessageBody',
    () => {
      fc.assert(
        fc.property(hostileMessageBody, (body) => decodesOrRefuses(() => decodeTaskMessage(body))),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'decodeTaskMessage under a small maxPayloadBytes',
    () => {
      fc.assert(
        fc.property(hostileMessageBody, (body) =>
          decodesOrRefuses(() => decodeTaskMessage(body, { maxPayloadBytes: 16 })),
        ),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'decodeSqsMessageBody',
    () => {
      fc.assert(
        fc.property(hostileMessageBody, (body) => decodesOrRefuses(() => decodeSqsMessageBody(body))),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'kombuJsonLoads and pythonJsonLoads',
    () => {
      fc.assert(
        fc.property(hostileText, (text) => {
          decodesOrRefuses(() => kombuJsonLoads(text, 'fuzz'));
          decodesOrRefuses(() => pythonJsonLoads(text, 'fuzz'));
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'fromTaggedJson, on parsed JSON with type tags anywhere',
    () => {
      fc.assert(
        fc.property(hostileJson, (value) => decodesOrRefuses(() => fromTaggedJson(value, 'fuzz'))),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'decodeResultMeta, resultPayloadClaim, and the error table on what they return',
    () => {
      fc.assert(
        fc.property(hostileResultMeta, (text) =>
          decodesOrRefuses(() => {
            const meta = decodeResultMeta(text);
            resultPayloadClaim(meta);
            if (isExceptionInfo(meta.result)) {
              // What AsyncResult.get() throws: always an Error, whatever the stored class is called.
              const error = new ErrorTable().toError(meta.result, meta.task_id, meta.traceback);
              if (!(error instanceof Error)) throw new Error(`toError returned ${typeof error}`);
            }
          }),
        ),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'parseS3Pointer never throws, and finds only string locations',
    () => {
      fc.assert(
        fc.property(hostilePointer, (body) => {
          const location = parseS3Pointer(body);
          if (location === undefined) return true;
          return typeof location.s3BucketName === 'string' && typeof location.s3Key === 'string';
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});
