import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { ImproperlyConfigured } from '../../../src/errors.js';
import {
  COMPRESSION_CONTENT_TYPES,
  compressBody,
  decompressBody,
} from '../../../src/protocol/compression.js';
import { encodeSqsMessageBody } from '../../../src/protocol/envelope.js';
import { ContentDisallowed, DecodeError, EncodeError } from '../../../src/protocol/errors.js';
import { msgpackDumps, msgpackLoads } from '../../../src/protocol/msgpack-body.js';
import { acceptedContentTypes, deserializeValue, serializeValue } from '../../../src/protocol/serializers.js';
import {
  buildTaskMessage,
  decodeTaskMessage,
  encodeTaskMessage,
} from '../../../src/protocol/task-message.js';
import { Decimal, Uuid } from '../../../src/protocol/type-tags.js';
import { yamlDumps, yamlLoads } from '../../../src/protocol/yaml-body.js';

const ALL = ['application/json', 'application/x-msgpack', 'application/x-yaml'];

function message(args: unknown[]) {
  return buildTaskMessage({ taskId: 't-1', name: 'tasks.echo', args, queue: 'celery', origin: 'gen1@h' });
}

function envelopeWith(body: Uint8Array, contentType: string, headers: Record<string, unknown> = {}): string {
  return encodeSqsMessageBody({
    body: Buffer.from(body).toString('base64'),
    'content-encoding': 'binary',
    'content-type': contentType,
    headers: { task: 'tasks.echo', id: 't-1', ...headers },
    properties: { body_encoding: 'base64' },
  });
}

describe('compression', () => {
  for (const method of ['zlib', 'gzip', 'brotli'] as const) {
    it(`round-trips ${method} under kombu's header ${COMPRESSION_CONTENT_TYPES[method]}`, () => {
      const body = encodeTaskMessage(message(['x'.repeat(1000), 1]), { compression: method });
      const decoded = decodeTaskMessage(body);
      expect(decoded.args).toEqual(['x'.repeat(1000), 1]);
      expect(decoded.headers.compression).toBe(COMPRESSION_CONTENT_TYPES[method]);
    });
  }

  it('refuses a body that inflates past maxPayloadBytes, naming the limit', () => {
    for (const method of ['zlib', 'brotli'] as const) {
      const bomb = compressBody(Buffer.alloc(1_000_000, 0x20), method);
      expect(() => decompressBody(bomb.bytes, bomb.contentType, 999_999)).toThrow(DecodeError);
      expect(() => decompressBody(bomb.bytes, bomb.contentType, 999_999)).toThrow(
        /inflates to more than 999999 bytes, the limit/,
      );
      expect(decompressBody(bomb.bytes, bomb.contentType, 1_000_000)).toHaveLength(1_000_000);
    }
  });

  it('refuses a bomb inside a message before decoding it', () => {
    const bomb = envelopeWith(deflateSync(Buffer.alloc(100_000, 0x20)), 'application/json', {
      compression: 'application/x-gzip',
    });
    expect(() => decodeTaskMessage(bomb, { maxPayloadBytes: 50_000 })).toThrow(/50000 bytes, the limit/);
  });

  it("accepts kombu's aliases as the header, as kombu's get_decoder does", () => {
    const compressed = compressBody(Buffer.from('hi'), 'zlib').bytes;
    expect(decompressBody(compressed, 'zlib', 100).toString()).toBe('hi');
  });

  it('refuses a header kombu does not register with a DecodeError naming it', () => {
    expect(() => decompressBody(Buffer.from('abc'), 'application/x-snappy', 100)).toThrow(DecodeError);
    expect(() => decompressBody(Buffer.from('abc'), 'application/x-snappy', 100)).toThrow(
      'application/x-snappy',
    );
  });

  it('refuses a corrupt stream, naming the method', () => {
    expect(() => decompressBody(Buffer.from('not zlib'), 'application/x-gzip', 100)).toThrow(
      /the zlib stream is corrupt/,
    );
  });

  it('leaves the JSON wire format unchanged without compression', () => {
    const plain = message([2, 3]);
    expect(encodeTaskMessage(plain)).toBe(encodeTaskMessage(plain, {}));
    expect(encodeTaskMessage(plain, { serializer: 'json' })).toBe(encodeTaskMessage(plain));
  });
});

describe('msgpack', () => {
  it('round-trips what kombu can carry', () => {
    const value = [
      1,
      -1,
      2 ** 40,
      2n ** 63n,
      -(2n ** 63n),
      1.5,
      'ünï',
      new Uint8Array([0, 255]),
      null,
      true,
      { k: [1] },
    ];
    expect(msgpackLoads(msgpackDumps(value))).toEqual(value);
  });

  it('refuses every extension type, the timestamp one included', () => {
    const ext5 = new Uint8Array([0xd4, 0x05, 0x00]);
    expect(() => msgpackLoads(ext5)).toThrow(DecodeError);
    expect(() => msgpackLoads(ext5)).toThrow(/extension type 5 is not one kombu writes/);
    const timestamp = new Uint8Array([0xd6, 0xff, 0, 0, 0, 1]);
    expect(() => msgpackLoads(timestamp)).toThrow(/extension type -1 \(timestamp\)/);
  });

  it('refuses nesting past the limit before building anything', () => {
    expect(() => msgpackLoads(new Uint8Array(1001).fill(0x91))).toThrow(/more than 1000 levels deep/);
    const ok = new Uint8Array(1000).fill(0x91);
    expect(() => msgpackLoads(Uint8Array.from([...ok, 0xc0]))).not.toThrow();
  });

  it('refuses truncated data with a DecodeError', () => {
    expect(() => msgpackLoads(new Uint8Array([0x92, 0x01]))).toThrow(DecodeError);
  });

  it('refuses values kombu has no msgpack form for, naming the path', () => {
    expect(() => msgpackDumps([{ when: new Date() }])).toThrow(EncodeError);
    expect(() => msgpackDumps([{ when: new Date() }])).toThrow('$[0].when');
    expect(() => msgpackDumps([new Decimal('1.1')])).toThrow(/no form in kombu's msgpack/);
    expect(() => msgpackDumps([new Uuid('12345678123456781234567812345678')])).toThrow(EncodeError);
    expect(() => msgpackDumps([2n ** 64n])).toThrow(/beyond 64 bits/);
  });

  it('is refused unless accepted', () => {
    const body = encodeTaskMessage(message([1]), { serializer: 'msgpack' });
    expect(() => decodeTaskMessage(body)).toThrow(ContentDisallowed);
    expect(decodeTaskMessage(body, { acceptContent: ALL }).args).toEqual([1]);
  });
});

describe('YAML', () => {
  it('round-trips what safe_dump can write', () => {
    const value = [
      1,
      10n ** 30n,
      1.5,
      'yes',
      'null',
      '2024-01-02',
      new Date('2024-01-02T03:04:05.123Z'),
      new Uint8Array([1]),
      null,
      { k: ['v'] },
    ];
    expect(yamlLoads(yamlDumps(value))).toEqual(value);
  });

  for (const tagged of [
    '- !!python/object/apply:os.system ["id"]',
    '- !!python/object:__main__.Evil {}',
    '- !!python/name:builtins.eval',
    '- !local thing',
  ]) {
    it(`refuses ${tagged} before building any value`, () => {
      expect(() => yamlLoads(tagged)).toThrow(DecodeError);
      expect(() => yamlLoads(tagged)).toThrow(/tag outside YAML's safe schema/);
    });
  }

  it('refuses a Python-tagged YAML task body before the task could run', () => {
    const body = envelopeWith(
      Buffer.from('- [!!python/object/apply:os.system ["id"]]\n- {}\n- null\n'),
      'application/x-yaml',
    );
    expect(() => decodeTaskMessage(body, { acceptContent: ALL })).toThrow(/python\/object\/apply/);
  });

  it('refuses alias bombs, cycles, collection keys and several documents', () => {
    const bomb = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      bomb.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    expect(() => yamlLoads(bomb.join('\n'))).toThrow(DecodeError);
    expect(() => yamlLoads('a: &a [*a]')).toThrow(DecodeError);
    expect(() => yamlLoads('? [1]\n: 2\n')).toThrow(/mapping key is a collection/);
    expect(() => yamlLoads('a\n---\nb\n')).toThrow(DecodeError);
  });

  it('refuses deep nesting before parsing', () => {
    expect(() => yamlLoads('['.repeat(100_000))).toThrow(/nests too deeply/);
    expect(() => yamlLoads(`${'- '.repeat(100_000)}1`)).toThrow(/nests too deeply/);
  });

  it('refuses values safe_dump cannot write', () => {
    expect(() => yamlDumps([new Decimal('1.1')])).toThrow(EncodeError);
  });
});

describe('content types and the accept list', () => {
  it('refuses pickle even when every serializer is accepted', () => {
    expect(() => deserializeValue(Buffer.from('x'), 'application/x-python-serialize', 'body', ALL)).toThrow(
      /pickle is never accepted/,
    );
  });

  it('maps names and content types, and names what it cannot read', () => {
    expect(acceptedContentTypes(['json', 'MSGPACK', 'application/x-yaml'])).toEqual({ contentTypes: ALL });
    expect(acceptedContentTypes(['json', 'pickle'])).toEqual({ unknown: 'pickle' });
  });

  it('serializes each kind with its content type and encoding', () => {
    expect(serializeValue([1], 'msgpack')).toMatchObject({
      contentType: 'application/x-msgpack',
      contentEncoding: 'binary',
    });
    expect(serializeValue([1], 'yaml')).toMatchObject({
      contentType: 'application/x-yaml',
      contentEncoding: 'utf-8',
    });
  });

  it('validates the app settings', () => {
    expect(resolveConfig({ env: {} }).acceptContent).toEqual(['application/json']);
    expect(resolveConfig({ env: {}, acceptContent: ['json', 'yaml'] }).acceptContent).toEqual([
      'application/json',
      'application/x-yaml',
    ]);
    expect(() => resolveConfig({ env: {}, acceptContent: ['pickle'] })).toThrow(ImproperlyConfigured);
    expect(() => resolveConfig({ env: {}, serializer: 'pickle' as 'json' })).toThrow(ImproperlyConfigured);
    expect(() => resolveConfig({ env: {}, compression: 'bzip2' as 'zlib' })).toThrow(
      /bzip2 and lzma are read but not written/,
    );
  });
});
