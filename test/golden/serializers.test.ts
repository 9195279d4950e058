/**
 * The serializer, compression and signing vectors (`test/golden/serializers/`, recorded from Python Celery 5.6 /
 * kombu 5.6 by `scripts/capture-golden-serializers.py`) against celeriac's decoders and encoders. Python's
 * bytes are taken apart here with Node's own zlib, brotli and base64, independently of the code under test.
 */

import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { brotliDecompressSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { signBody, verifyBody } from '../../src/protocol/auth-serializer.js';
import {
  type CompressionMethod,
  compressBody,
  isCompressionMethod,
  nodeZstd,
} from '../../src/protocol/compression.js';
import { ContentDisallowed } from '../../src/protocol/errors.js';
import { PythonDateTime, PythonFloat } from '../../src/protocol/exact-values.js';
import { msgpackDumps, msgpackLoads } from '../../src/protocol/msgpack-body.js';
import { argsRepr, kwargsRepr } from '../../src/protocol/python-repr.js';
import { SecurityError } from '../../src/protocol/security-error.js';
import { acceptedContentTypes, serializeValue } from '../../src/protocol/serializers.js';
import {
  CertificateStore,
  readPrivateKey,
  SigningCertificate,
} from '../../src/protocol/signing-certificate.js';
import {
  decodeTaskMessage,
  decodeTaskMessageAsync,
  encodeTaskMessage,
  type TaskMessage,
} from '../../src/protocol/task-message.js';
import { CalendarDate } from '../../src/protocol/type-tags.js';
import { yamlLoads } from '../../src/protocol/yaml-body.js';
import { venvBin } from '../emulator/moto-server.js';
import { makeTestCertificate } from '../helpers/test-certificates.js';
import { loadVector, rawBodyBytes, rawEnvelope } from './helpers/golden-vectors.js';
import { loadSerializerVector, sentBody, serializerVectorDir } from './helpers/serializer-vectors.js';

const ALL = acceptedContentTypes(['json', 'msgpack', 'yaml']);

/** Node's own zstd (Node >= 22.15), independent of celeriac's wrapper around it. */
function zstdDecompressSync(bytes: Buffer): Buffer {
  if (!nodeZstd) throw new Error(`this Node (${process.version}) has no zstd`);
  return nodeZstd.zstdDecompressSync(bytes, { maxOutputLength: 2 ** 30 });
}

/** Inflates with Python's own `bz2` or `lzma` module from the project venv. */
function pythonInflate(module: 'bz2' | 'lzma', bytes: Buffer): Buffer {
  const code = `import sys, ${module}; sys.stdout.buffer.write(${module}.decompress(sys.stdin.buffer.read()))`;
  return execFileSync(venvBin('python'), ['-c', code], { input: bytes });
}
const acceptAll = 'contentTypes' in ALL ? ALL.contentTypes : [];

it('has a vector file for every method and serializer the capture lists', () => {
  const names = readdirSync(serializerVectorDir).filter((n) => n.endsWith('.json'));
  expect(names.length).toBeGreaterThanOrEqual(10);
});

describe('compression vectors', () => {
  // Python's bytes are inflated here with Node's zlib (zlib, brotli, zstd) or with Python itself (bzip2, xz:
  // Node has no decoder of its own); celeriac's decoders are the code under test.
  const inflateIndependently = (method: string, bytes: Buffer): Buffer => {
    if (method === 'brotli') return brotliDecompressSync(bytes);
    if (method === 'zstd') return zstdDecompressSync(bytes);
    if (method === 'bzip2' || method === 'lzma') {
      const module = method === 'bzip2' ? 'bz2' : 'lzma';
      return pythonInflate(module, bytes);
    }
    return inflateSync(bytes);
  };
  const vectors: readonly [string, string, string, CompressionMethod | undefined][] = [
    ['compress-zlib', 'zlib', 'application/x-gzip', 'zlib'],
    ['compress-gzip', 'gzip', 'application/x-gzip', 'gzip'],
    ['compress-brotli', 'brotli', 'application/x-brotli', 'brotli'],
    ['compress-zstd', 'zstd', 'application/zstd', 'zstd'],
    ['compress-bzip2', 'bzip2', 'application/x-bz2', undefined],
    ['compress-lzma', 'lzma', 'application/x-lzma', undefined],
  ];
  for (const [name, method, header, writeAs] of vectors) {
    describe(name, () => {
      const vector = loadSerializerVector(name);
      const body = sentBody(vector);
      const envelope = rawEnvelope(body);
      const pythonBytes = rawBodyBytes(body);
      const inflated = inflateIndependently(method, pythonBytes);

      it(`has kombu's header ${header}, appended last, and keeps the JSON content type`, () => {
        expect(envelope.headers.compression).toBe(header);
        expect(Object.keys(envelope.headers).at(-1)).toBe('compression');
        expect(envelope['content-type']).toBe('application/json');
        expect(envelope['content-encoding']).toBe('utf-8');
      });

      it("decodes to the arguments Python sent (the worker's asynchronous decoder)", async () => {
        const message = await decodeTaskMessageAsync(body);
        expect(message.args).toEqual(['x'.repeat(64), 2, 3]);
        expect(message.kwargs).toEqual({ k: 'ünï' });
      });

      it('refuses it inflated past a limit one byte short of its size, naming the limit', async () => {
        const limit = inflated.length - 1;
        await expect(decodeTaskMessageAsync(body, { maxPayloadBytes: limit })).rejects.toThrow(
          `inflates to more than ${limit} bytes, the limit`,
        );
      });

      if (writeAs) {
        it('re-encodes with the same header and a body that inflates to the same bytes as Python', () => {
          const message = decodeTaskMessage(body);
          const ours = encodeTaskMessage(message, { compression: writeAs });
          const ourEnvelope = rawEnvelope(ours);
          expect(ourEnvelope.headers).toEqual(envelope.headers);
          expect(Object.keys(ourEnvelope.headers)).toEqual(Object.keys(envelope.headers));
          expect(inflateIndependently(method, rawBodyBytes(ours)).equals(inflated)).toBe(true);
        });
      } else {
        it(`is not written: compression '${method}' is refused, naming the methods celeriac writes`, async () => {
          const message = await decodeTaskMessageAsync(body);
          expect(isCompressionMethod(method)).toBe(false);
          expect(() => encodeTaskMessage(message, { compression: method as CompressionMethod })).toThrow(
            /celeriac writes 'zlib', 'gzip', 'brotli' or 'zstd'; bzip2 and lzma\/xz are read but not written/,
          );
        });
      }
    });
  }

  it("compresses with zlib's default level, as Python's zlib.compress (the same stream header)", () => {
    const pythonBytes = rawBodyBytes(sentBody(loadSerializerVector('compress-zlib')));
    const ours = compressBody(inflateSync(pythonBytes), 'zlib').bytes;
    expect([...ours.subarray(0, 2)]).toEqual([...pythonBytes.subarray(0, 2)]);
    expect(inflateSync(ours).equals(inflateSync(pythonBytes))).toBe(true);
  });
});

describe('serializer-msgpack', () => {
  const body = sentBody(loadSerializerVector('serializer-msgpack'));
  const envelope = rawEnvelope(body);

  it("has kombu's content type and encoding", () => {
    expect(envelope['content-type']).toBe('application/x-msgpack');
    expect(envelope['content-encoding']).toBe('binary');
  });

  it('is refused by default (JSON only), with ContentDisallowed naming the type', () => {
    expect(() => decodeTaskMessage(body)).toThrow(ContentDisallowed);
    expect(() => decodeTaskMessage(body)).toThrow('application/x-msgpack');
  });

  it('decodes every value when accepted: 64-bit integers as bigint, bytes as Uint8Array', () => {
    const message = decodeTaskMessage(body, { acceptContent: acceptAll });
    expect(message.args).toEqual([
      1,
      -1,
      2 ** 40,
      2n ** 63n - 1n,
      2n ** 64n - 1n,
      -(2n ** 63n),
      1.5,
      5,
      'ünï',
      new Uint8Array([0, 255]),
      null,
      true,
      [1, [2]],
      { k: 'v' },
    ]);
    expect(message.kwargs).toEqual({ key: 'value' });
    expect(message.embed).toEqual({ callbacks: null, errbacks: null, chain: null, chord: null });
  });

  it("re-encodes the body to Python's exact bytes, but for the integral float 5.0 (a JS number)", () => {
    const python = rawBodyBytes(body);
    const decoded = msgpackLoads(python) as unknown[];
    const ours = Buffer.from(msgpackDumps(decoded));
    // Python writes 5.0 as float64 (cb 40 14 00..); a JavaScript 5 is an integer (05).
    const float5 = Buffer.from([0xcb, 0x40, 0x14, 0, 0, 0, 0, 0, 0]);
    const at = python.indexOf(float5);
    expect(at).toBeGreaterThan(0);
    const expected = Buffer.concat([python.subarray(0, at), Buffer.from([0x05]), python.subarray(at + 9)]);
    expect(ours.equals(expected)).toBe(true);
  });
});

describe('serializer-msgpack-zlib', () => {
  const body = sentBody(loadSerializerVector('serializer-msgpack-zlib'));

  it('inflates, then unpacks', () => {
    const message = decodeTaskMessage(body, { acceptContent: acceptAll });
    expect(message.args).toEqual([1, 'two', new Uint8Array([0x33])]);
    expect(rawEnvelope(body).headers.compression).toBe('application/x-gzip');
  });

  it("re-encodes to Python's exact envelope body", () => {
    const message = decodeTaskMessage(body, { acceptContent: acceptAll });
    const ours = encodeTaskMessage(message, { serializer: 'msgpack', compression: 'zlib' });
    expect(rawEnvelope(ours)).toEqual(rawEnvelope(body));
  });
});

describe('serializer-yaml', () => {
  const body = sentBody(loadSerializerVector('serializer-yaml'));
  const envelope = rawEnvelope(body);

  it("has kombu's content type and encoding, and is refused by default", () => {
    expect(envelope['content-type']).toBe('application/x-yaml');
    expect(envelope['content-encoding']).toBe('utf-8');
    expect(() => decodeTaskMessage(body)).toThrow(ContentDisallowed);
  });

  it('decodes every value when accepted', () => {
    const message: TaskMessage = decodeTaskMessage(body, { acceptContent: acceptAll });
    expect(message.args).toEqual([
      1,
      10n ** 30n,
      1.5,
      5,
      Number.POSITIVE_INFINITY,
      'yes',
      'ünï',
      new Uint8Array([0, 255]),
      null,
      true,
      new Date('2024-01-02T03:04:05.123Z'),
      new Date('2024-01-02T03:04:05.123Z'),
      new Date('2024-01-02T00:00:00.000Z'),
      [1, [2]],
      { k: 'v' },
    ]);
    expect(message.kwargs).toEqual({ key: 'value' });
    expect(message.embed).toEqual({ callbacks: null, errbacks: null, chain: null, chord: null });
  });

  it('re-encodes to YAML that reads back to the same values', () => {
    const message = decodeTaskMessage(body, { acceptContent: acceptAll });
    const ours = encodeTaskMessage(message, { serializer: 'yaml' });
    expect(rawEnvelope(ours)['content-type']).toBe('application/x-yaml');
    expect(yamlLoads(rawBodyBytes(ours).toString('utf8'))).toEqual(
      yamlLoads(rawBodyBytes(body).toString('utf8')),
    );
  });
});

describe('signed vectors (the auth serializer)', () => {
  for (const name of ['signed', 'signed-zlib']) {
    describe(name, () => {
      const vector = loadSerializerVector(name);
      const body = sentBody(vector);
      const certificate = vector.security?.certificate ?? '';
      const verifier = { store: new CertificateStore([certificate]), digest: vector.security?.digest };

      it('is application/data, utf-8, and verifies against the signer certificate', () => {
        const envelope = rawEnvelope(body);
        expect(envelope['content-type']).toBe('application/data');
        expect(envelope['content-encoding']).toBe('utf-8');
        const message = decodeTaskMessage(body, { verifier });
        expect(message.args).toEqual([2, 3]);
        expect(message.headers.task).toBe('tasks.add');
      });

      it("names its signer by Celery's certificate id", () => {
        const bytes = rawBodyBytes(body);
        const authBody = name === 'signed-zlib' ? inflateSync(bytes) : bytes;
        const verified = verifyBody(authBody, verifier);
        expect(verified.signer).toBe('XX celeriac golden vectors celeriac-test-signer 6209758');
        expect(new SigningCertificate(certificate).id).toBe(verified.signer);
        expect(verified.contentType).toBe('application/json');
        expect(verified.contentEncoding).toBe('utf-8');
        expect(verified.bytes.toString()).toBe(
          '[[2, 3], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]',
        );
      });

      it('is refused without a verifier, and by a store without its certificate', () => {
        expect(() => decodeTaskMessage(body)).toThrow(ContentDisallowed);
        const stranger = makeTestCertificate({ commonName: 'stranger' });
        const other = { store: new CertificateStore([stranger.certificatePem]) };
        expect(() => decodeTaskMessage(body, { verifier: other })).toThrow(/not in the certificate store/);
      });
    });
  }

  it('refuses the vector with one byte of its body changed', () => {
    const vector = loadSerializerVector('signed');
    const verifier = { store: new CertificateStore([vector.security?.certificate ?? '']) };
    const raw = Buffer.from(rawBodyBytes(sentBody(vector)).toString(), 'base64');
    const tampered = Buffer.from(raw.toString('latin1').replace('[[2, 3]', '[[2, 4]'), 'latin1');
    expect(() => verifyBody(Buffer.from(tampered.toString('base64')), verifier)).toThrow(SecurityError);
    expect(() => verifyBody(Buffer.from(tampered.toString('base64')), verifier)).toThrow(/does not match/);
  });

  it("signs in the vector's exact layout: the same fields, in the same order, around the same body", () => {
    const vector = loadSerializerVector('signed');
    const python = Buffer.from(rawBodyBytes(sentBody(vector)).toString(), 'base64');
    const key = makeTestCertificate({ commonName: 'celeriac-layout' });
    const ours = signBody(
      serializeValue([[2, 3], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]),
      {
        key: readPrivateKey(key.keyPem),
        certificate: new SigningCertificate(key.certificatePem),
      },
    );
    const oursRaw = Buffer.from(Buffer.from(ours.bytes).toString(), 'base64');
    const fields = (raw: Buffer) => raw.toString('latin1').split('\u0000\u0001');
    expect(fields(oursRaw).slice(2)).toEqual(fields(python).slice(2));
    expect(fields(oursRaw)).toHaveLength(5);
  });
});

describe('exact values (exactValues), against Python JSON bodies', () => {
  const exact = { exactValues: true } as const;
  for (const [folder, name] of [
    ['serializers', 'exact-values'],
    ['messages', 'type-tags'],
  ] as const) {
    it(`${folder}/${name}: re-encodes Python's body byte for byte in exact mode`, () => {
      const body =
        folder === 'serializers'
          ? sentBody(loadSerializerVector(name))
          : sentBody(loadVector('messages', name));
      const message = decodeTaskMessage(body, exact);
      expect(rawBodyBytes(encodeTaskMessage(message)).toString('utf8')).toBe(
        rawBodyBytes(body).toString('utf8'),
      );
    });
  }

  it('decodes big integers as bigint, integral floats as PythonFloat, datetimes as PythonDateTime', () => {
    const message = decodeTaskMessage(sentBody(loadSerializerVector('exact-values')), exact);
    const [big, huge, negative, five, minusZero, e300, half, twoTo53, naive, aware] = message.args;
    expect([big, huge, negative, twoTo53]).toEqual([9007199254740993n, 10n ** 30n, -(2n ** 70n), 2n ** 53n]);
    expect(five).toBeInstanceOf(PythonFloat);
    expect(Number(five)).toBe(5);
    expect(Object.is((minusZero as PythonFloat).value, -0)).toBe(true);
    expect((e300 as PythonFloat).value).toBe(1e300);
    expect(half).toBe(1.5);
    expect(naive).toBeInstanceOf(PythonDateTime);
    expect(naive).toMatchObject({ iso: '2024-01-02T03:04:05.123456', naive: true, microseconds: 123456 });
    expect(aware).toMatchObject({ iso: '2024-01-02T03:04:05.000006+00:00', naive: false, microseconds: 6 });
    expect(message.kwargs).toEqual({
      big: 2n ** 64n + 1n,
      f: new PythonFloat(100),
      nested: [new PythonFloat(2), [new PythonFloat(3e20)]],
    });
  });

  it("writes Python's argsrepr and kwargsrepr for the exact values", () => {
    const message = decodeTaskMessage(sentBody(loadSerializerVector('exact-values')), exact);
    expect(argsRepr(message.args)).toBe(message.headers.argsrepr);
    expect(kwargsRepr(message.kwargs)).toBe(message.headers.kwargsrepr);
  });

  it('loses exactly what the default mode documents, and nothing else', () => {
    const body = sentBody(loadSerializerVector('exact-values'));
    const message = decodeTaskMessage(body);
    expect(message.args.slice(0, 8)).toEqual([
      9007199254740992,
      1e30,
      -(2 ** 70),
      5,
      -0,
      1e300,
      1.5,
      2 ** 53,
    ]);
    expect(message.args[8]).toEqual(new Date('2024-01-02T03:04:05.123Z'));
    const text = rawBodyBytes(encodeTaskMessage(message)).toString('utf8');
    expect(text).not.toBe(rawBodyBytes(body).toString('utf8'));
    // The rounding the issue saw: 2^53 + 1 becomes 2^53, 10**30 comes back as 1000000000000000019884624838656,
    // 5.0 as the int 5.
    expect(
      text.startsWith(
        '[[9007199254740992, 1000000000000000019884624838656, -1180591620717411303424, 5, -0.0, ',
      ),
    ).toBe(true);
  });
});

describe('exact values (exactValues), against Python msgpack and YAML bodies', () => {
  const exact = { exactValues: true, acceptContent: acceptAll } as const;

  it("serializer-msgpack: reads 5.0 as PythonFloat and re-encodes Python's body byte for byte", () => {
    const body = sentBody(loadSerializerVector('serializer-msgpack'));
    const message = decodeTaskMessage(body, exact);
    expect(message.args[6]).toBe(1.5);
    expect(message.args[7]).toEqual(new PythonFloat(5));
    expect(message.args.slice(3, 6)).toEqual([2n ** 63n - 1n, 2n ** 64n - 1n, -(2n ** 63n)]);
    const ours = encodeTaskMessage(message, { serializer: 'msgpack' });
    expect(rawBodyBytes(ours).equals(rawBodyBytes(body))).toBe(true);
  });

  it('serializer-msgpack: the default mode reads 5.0 as the number 5 (so it goes back as an int)', () => {
    const message = decodeTaskMessage(sentBody(loadSerializerVector('serializer-msgpack')), {
      acceptContent: acceptAll,
    });
    expect(message.args[7]).toBe(5);
  });

  it('serializer-yaml: reads floats, datetimes and dates as Python built them', () => {
    const message = decodeTaskMessage(sentBody(loadSerializerVector('serializer-yaml')), exact);
    expect(message.args.slice(0, 5)).toEqual([
      1,
      10n ** 30n,
      1.5,
      new PythonFloat(5),
      Number.POSITIVE_INFINITY,
    ]);
    const [naive, aware, day] = message.args.slice(10, 13);
    expect(naive).toEqual(new PythonDateTime('2024-01-02T03:04:05.123456'));
    expect(naive).toMatchObject({ naive: true, microseconds: 123456 });
    expect(aware).toEqual(new PythonDateTime('2024-01-02T03:04:05.123456+00:00'));
    expect(aware).toMatchObject({ naive: false, microseconds: 123456 });
    expect(day).toEqual(new CalendarDate('2024-01-02'));
  });

  it("serializer-yaml: re-encodes floats, datetimes and dates in PyYAML's own text", () => {
    const body = sentBody(loadSerializerVector('serializer-yaml'));
    const python = rawBodyBytes(body).toString('utf8');
    const message = decodeTaskMessage(body, exact);
    const ours = rawBodyBytes(encodeTaskMessage(message, { serializer: 'yaml' })).toString('utf8');
    const lines = (text: string, pattern: RegExp) => text.split('\n').filter((line) => pattern.test(line));
    const scalars = /^ {2}- (5\.0|1\.5|\.inf|2024-01-02.*)$/;
    expect(lines(ours, scalars)).toEqual(lines(python, scalars));
    expect(lines(python, scalars)).toHaveLength(6);
    expect(yamlLoads(ours, { exact: true })).toEqual(yamlLoads(python, { exact: true }));
  });

  it('serializer-yaml: the default mode reads them as numbers and Dates, losing what the docs say', () => {
    const message = decodeTaskMessage(sentBody(loadSerializerVector('serializer-yaml')), {
      acceptContent: acceptAll,
    });
    expect(message.args[3]).toBe(5);
    expect(message.args[10]).toEqual(new Date('2024-01-02T03:04:05.123Z'));
    expect(message.args[12]).toEqual(new Date('2024-01-02T00:00:00.000Z'));
  });
});
