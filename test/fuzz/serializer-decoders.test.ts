/**
 * The msgpack and YAML decoders, alone and inside task messages, under the suite's two properties: any input is
 * decoded or refused with a typed celeriac error, and a megabyte of the most hostile input known for each is
 * decoded or refused within a fixed multiple of the time a valid body of the same size takes.
 */
import { encode as rawMsgpack } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signBody, verifyBody } from '../../src/protocol/auth-serializer.js';
import { encodeSqsMessageBody, type KombuEnvelope } from '../../src/protocol/envelope.js';
import { isCeleriacError } from '../../src/protocol/errors.js';
import { msgpackDumps, msgpackLoads } from '../../src/protocol/msgpack-body.js';
import { acceptedContentTypes, serializeValue } from '../../src/protocol/serializers.js';
import {
  CertificateStore,
  readPrivateKey,
  SigningCertificate,
} from '../../src/protocol/signing-certificate.js';
import { decodeTaskMessage } from '../../src/protocol/task-message.js';
import { kombuJsonLoads } from '../../src/protocol/type-tags.js';
import { yamlDumps, yamlLoads } from '../../src/protocol/yaml-body.js';
import { makeTestCertificate } from '../helpers/test-certificates.js';
import { hostileJson, hostileMessageBody, hostileText } from './arbitraries.js';
import { FUZZ_TIMEOUT_MS, fuzzParameters } from './fuzz-runs.js';
import { slowdown } from './measure.js';
import { sampleRecords, validMessageBody } from './sample-messages.js';

const MIB = 1024 * 1024;
const MAX_SLOWDOWN = 20;
const accepted = acceptedContentTypes(['json', 'msgpack', 'yaml']);
const acceptContent = 'contentTypes' in accepted ? accepted.contentTypes : [];

function decodesOrRefuses(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    if (!isCeleriacError(error)) throw error;
  }
}

function envelopeOf(body: Uint8Array, contentType: string, compression?: string): string {
  const envelope: KombuEnvelope = {
    body: Buffer.from(body).toString('base64'),
    'content-encoding': contentType === 'application/x-msgpack' ? 'binary' : 'utf-8',
    'content-type': contentType,
    headers: { task: 'tasks.add', id: 't-1', ...(compression ? { compression } : {}) },
    properties: { body_encoding: 'base64', delivery_info: { exchange: '', routing_key: 'celery' } },
  };
  return encodeSqsMessageBody(envelope);
}

/** Bytes that are often msgpack of something, with extension types and truncations mixed in. */
const hostileMsgpack = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  hostileJson.map((value) => {
    try {
      return rawMsgpack(value);
    } catch {
      return new Uint8Array([0xc1]);
    }
  }),
  fc
    .tuple(fc.integer({ min: -128, max: 127 }), fc.uint8Array({ maxLength: 16 }))
    .map(([type, data]) => new Uint8Array([0xc7, data.length, type & 0xff, ...data])),
  hostileJson.map((value) => {
    try {
      const bytes = rawMsgpack(value);
      return bytes.subarray(0, Math.floor(bytes.length / 2));
    } catch {
      return new Uint8Array([0x91]);
    }
  }),
);

/** Texts that are often YAML: tags (Python ones too), anchors, aliases, flow and block nesting. */
const hostileYaml = fc.oneof(
  hostileText,
  fc
    .array(
      fc.constantFrom(
        '- ',
        '!!python/object:os.system ',
        '!!python/name:builtins.eval ',
        '!local ',
        '&a ',
        '*a ',
        '[',
        ']',
        '{',
        '}',
        ': ',
        '\n  ',
        '\n',
        '!!binary ',
        '!!timestamp ',
        '2024-01-02 03:04:05.123456',
        '0x1f',
        '1e400',
        "'",
        '"',
        '? ',
        '<<: ',
        '---\n',
        '%YAML 1.1\n',
      ),
      { maxLength: 30 },
    )
    .map((parts) => parts.join('')),
);

describe('msgpack and YAML decoders throw only typed errors', () => {
  it(
    'msgpackLoads, and decodeTaskMessage on msgpack envelopes',
    () => {
      fc.assert(
        fc.property(hostileMsgpack, (bytes) => {
          decodesOrRefuses(() => msgpackLoads(bytes));
          decodesOrRefuses(() =>
            decodeTaskMessage(envelopeOf(bytes, 'application/x-msgpack'), { acceptContent }),
          );
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'yamlLoads, and decodeTaskMessage on YAML envelopes',
    () => {
      fc.assert(
        fc.property(hostileYaml, (text) => {
          decodesOrRefuses(() => yamlLoads(text));
          decodesOrRefuses(() =>
            decodeTaskMessage(envelopeOf(Buffer.from(text, 'utf-8'), 'application/x-yaml'), {
              acceptContent,
            }),
          );
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'round-trips generated JSON values through msgpack and YAML, or refuses them with a typed error',
    () => {
      fc.assert(
        fc.property(hostileJson, (value) => {
          decodesOrRefuses(() => msgpackLoads(msgpackDumps(value)));
          decodesOrRefuses(() => yamlLoads(yamlDumps(value)));
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});

describe('msgpack and YAML decoding time is linear in the input', () => {
  const validMsgpack = msgpackDumps([sampleRecords(MIB), {}, null]);
  const validYaml = yamlDumps([sampleRecords(MIB / 2), {}, null]);

  const hostileMsgpackBodies: Record<string, () => Uint8Array> = {
    'an array header claiming 2^32 elements': () => new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]),
    'a million nested one-element arrays': () => new Uint8Array(MIB).fill(0x91),
    'a million nested maps with one key': () => {
      const unit = [0x81, 0xa1, 0x61];
      return new Uint8Array(Array.from({ length: MIB / 3 }, () => unit).flat());
    },
    'a str header claiming 4 GiB': () =>
      new Uint8Array([0xdb, 0xff, 0xff, 0xff, 0xff, ...new Uint8Array(MIB)]),
    'a megabyte of unknown extension values': () => {
      const unit = [0xd4, 0x05, 0x00];
      return new Uint8Array([0xdd, 0, 5, 0x55, 0x55, ...Array.from({ length: MIB / 3 }, () => unit).flat()]);
    },
  };

  it.each(Object.entries(hostileMsgpackBodies))(
    'msgpackLoads on %s',
    (_name, build) => {
      const hostile = build();
      expect(() => msgpackLoads(hostile)).toThrow();
      const ratio = slowdown(
        () => decodesOrRefuses(() => msgpackLoads(hostile)),
        () => msgpackLoads(validMsgpack),
      );
      expect(ratio).toBeLessThan(MAX_SLOWDOWN);
    },
    FUZZ_TIMEOUT_MS,
  );

  const hostileYamlTexts: Record<string, () => string> = {
    'unclosed "["': () => '['.repeat(MIB / 4),
    'an alias bomb (billion laughs)': () => {
      const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < 12; i++) {
        lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
      }
      return lines.join('\n');
    },
    'a python tag after a megabyte of list': () =>
      `${'- 1\n'.repeat(MIB / 8)}- !!python/object:os.system x\n`,
    'spaces then a tab': () => `${' '.repeat(MIB / 2)}\t:`,
    'a string of escapes, unterminated': () => `"${'\\u0000'.repeat(MIB / 12)}`,
  };

  it.each(Object.entries(hostileYamlTexts))(
    'yamlLoads on %s',
    (_name, build) => {
      const hostile = build();
      expect(() => yamlLoads(hostile)).toThrow();
      const ratio = slowdown(
        () => decodesOrRefuses(() => yamlLoads(hostile)),
        () => yamlLoads(validYaml),
      );
      expect(ratio).toBeLessThan(MAX_SLOWDOWN);
    },
    FUZZ_TIMEOUT_MS,
  );
});

describe('signed (auth) bodies', () => {
  const pair = makeTestCertificate({ commonName: 'fuzz-signer' });
  const signer = {
    key: readPrivateKey(pair.keyPem),
    certificate: new SigningCertificate(pair.certificatePem),
  };
  const verifier = { store: new CertificateStore([pair.certificatePem]) };
  const valid = signBody(serializeValue([sampleRecords(MIB / 2), {}, null]), signer).bytes;
  const separator = '\u0000\u0001';

  /** Signed-looking bodies: real fields with noise spliced in, a field dropped, or random bytes. */
  const hostileAuth = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.tuple(hostileText, fc.nat({ max: 4 }), fc.boolean()).map(([noise, field, drop]) => {
      const small = signBody(serializeValue([[1], {}, null]), signer).bytes;
      const fields = Buffer.from(Buffer.from(small).toString(), 'base64').toString('latin1').split(separator);
      if (drop) fields.splice(field, 1);
      else fields[field] = noise;
      return Buffer.from(Buffer.from(fields.join(separator), 'latin1').toString('base64'));
    }),
  );

  it(
    'verifyBody, and decodeTaskMessage with a verifier, throw only typed errors',
    () => {
      fc.assert(
        fc.property(hostileAuth, (bytes) => {
          decodesOrRefuses(() => verifyBody(bytes, verifier));
          decodesOrRefuses(() => decodeTaskMessage(envelopeOf(bytes, 'application/data'), { verifier }));
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  const hostileAuthBodies: Record<string, () => Uint8Array> = {
    'a megabyte of base64 without separators': () => Buffer.from('A'.repeat(MIB)),
    'a megabyte of separators': () =>
      Buffer.from(Buffer.from(separator.repeat(MIB / 2), 'latin1').toString('base64')),
    'a megabyte of whitespace then "!"': () => Buffer.from(`${' '.repeat(MIB)}!`),
    'a valid body with its last byte changed': () => {
      const raw = Buffer.from(Buffer.from(valid).toString(), 'base64');
      raw[raw.length - 2] = 0x30;
      return Buffer.from(raw.toString('base64'));
    },
  };

  it.each(Object.entries(hostileAuthBodies))(
    'verifyBody on %s, refused in linear time',
    (_name, build) => {
      const hostile = build();
      expect(() => verifyBody(hostile, verifier)).toThrow();
      const ratio = slowdown(
        () => decodesOrRefuses(() => verifyBody(hostile, verifier)),
        () => verifyBody(valid, verifier),
      );
      expect(ratio).toBeLessThan(MAX_SLOWDOWN);
    },
    FUZZ_TIMEOUT_MS,
  );
});

describe('exact mode (exactValues)', () => {
  it(
    'kombuJsonLoads and decodeTaskMessage in exact mode throw only typed errors',
    () => {
      fc.assert(
        fc.property(hostileText, hostileMessageBody, (text, body) => {
          decodesOrRefuses(() => kombuJsonLoads(text, 'fuzz', { exact: true }));
          decodesOrRefuses(() => decodeTaskMessage(body, { exactValues: true }));
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  const validBody = validMessageBody(MIB);
  const hostileNumbers: Record<string, () => string> = {
    'a megabyte-long integer': () => `[[${'9'.repeat(MIB)}], {}, null]`,
    'a megabyte of big integers': () => `[[${'9007199254740993, '.repeat(MIB / 18)}0], {}, null]`,
    'a megabyte of integral floats': () => `[[${'5.0, '.repeat(MIB / 5)}0], {}, null]`,
    'a float of a megabyte of zeros then "x"': () => `[[1.${'0'.repeat(MIB)}x], {}, null]`,
    'marker-looking strings': () => `[[${'"\\u0000celeriac-int:zz", '.repeat(MIB / 28)}0], {}, null]`,
  };

  // Against a valid body read in the same mode: exact mode's own cost (a reviver) is the baseline's too.
  it.each(Object.entries(hostileNumbers))(
    'kombuJsonLoads in exact mode on %s, in linear time',
    (_name, build) => {
      const hostile = build();
      const ratio = slowdown(
        () => decodesOrRefuses(() => kombuJsonLoads(hostile, 'fuzz', { exact: true })),
        () => decodeTaskMessage(validBody, { exactValues: true }),
      );
      expect(ratio).toBeLessThan(MAX_SLOWDOWN);
    },
    FUZZ_TIMEOUT_MS,
  );
});
