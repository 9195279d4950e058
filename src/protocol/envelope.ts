/**
 * kombu's message envelope on SQS, and the layers around the task body.
 *
 * On the wire (kombu `Channel._put`): `MessageBody = base64(JSON(envelope))`, and inside the envelope
 * `body = base64(serialized task body)`. Receivers (kombu >= 5.2.4, and celeriac) base64-decode `MessageBody` only
 * when it is strict base64 that round-trips to UTF-8 text, so a plain-JSON `MessageBody` works too. A body may be
 * compressed (`compression` header with kombu's MIME type, see `compression.ts`).
 */
import { decompressBody } from './compression.js';
import { ContentDisallowed, DecodeError } from './errors.js';
import { inflateBody } from './inflate-body.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, type DecodeOptions } from './limits.js';
import { pythonJsonDumps, pythonJsonLoads } from './python-json.js';

/** The kombu message envelope, with kombu's keys in kombu's order. */
export interface KombuEnvelope {
  /** The serialized (and maybe compressed) task body, encoded per `properties.body_encoding`. */
  body: string;
  /** Character encoding of the serialized body; `utf-8` for JSON and YAML, `binary` for msgpack. */
  'content-encoding': string;
  /** Serializer MIME type: `application/json`, `application/x-msgpack` or `application/x-yaml` (`serializers.ts`). */
  'content-type': string;
  /** Message headers: the Celery task headers for protocol v2, `{}` for v1. */
  headers: Record<string, unknown>;
  /** AMQP-style properties (`correlation_id`, `reply_to`, `delivery_info`, `body_encoding`, ...). */
  properties: Record<string, unknown>;
}

/** The content type of kombu's JSON serializer, the default. */
export const JSON_CONTENT_TYPE = 'application/json';

// A plain character class, not a repeated group: V8 would recurse per group on multi-megabyte bodies.
const BASE64_ALPHABET = /^[A-Za-z0-9+/]*={0,2}$/;
// Base64 as Python's `base64.b64decode` and Node read it, with whitespace anywhere before the padding. Only one
// way to match each character (the padding cannot be a body character), so a failing match costs linear time;
// `[...\s]*={0,2}\s*$` backtracked quadratically on a long run of spaces with a bad tail.
const LOOSE_BASE64 = /^[A-Za-z0-9+/\s]*(?:={1,2}\s*)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Standard base64 of UTF-8 text. */
export function base64Encode(text: string): string {
  return Buffer.from(text, 'utf-8').toString('base64');
}

/**
 * kombu's `_optional_b64_decode`: returns the decoded text when `text` is strict base64 that round-trips and
 * decodes to UTF-8, and `undefined` otherwise (the caller then treats `text` as plain).
 */
export function optionalBase64Decode(text: string): string | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !BASE64_ALPHABET.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Serializes an envelope as kombu's SQS transport does: Python-style JSON, then base64 (kombu's default
 * `sqs_base64_encoding=True`).
 */
export function encodeSqsMessageBody(envelope: KombuEnvelope, options: { base64?: boolean } = {}): string {
  const json = pythonJsonDumps({
    body: envelope.body,
    'content-encoding': envelope['content-encoding'],
    'content-type': envelope['content-type'],
    headers: envelope.headers,
    properties: envelope.properties,
  });
  return options.base64 === false ? json : base64Encode(json);
}

/** What {@link decodeSqsMessageBody} found. */
export interface DecodedSqsBody {
  /** The envelope, or for a body that is not a kombu envelope, the parsed JSON it holds. */
  readonly envelope: KombuEnvelope | undefined;
  /** Parsed JSON of a `MessageBody` that is not a kombu envelope (a bare protocol v1 body, say). */
  readonly bare: unknown;
  /** Whether `MessageBody` was base64 text. */
  readonly wasBase64: boolean;
}

/**
 * Reads an SQS `MessageBody` the way kombu does: optional base64, JSON, and a kombu envelope when the JSON has
 * `properties`. JSON that is not an envelope is returned as `bare` for the caller to interpret.
 *
 * @throws {DecodeError} when the body is neither base64 nor JSON.
 */
export function decodeSqsMessageBody(messageBody: string): DecodedSqsBody {
  const decoded = optionalBase64Decode(messageBody);
  const text = decoded ?? messageBody;
  let parsed: unknown;
  try {
    parsed = pythonJsonLoads(text, 'SQS MessageBody');
  } catch (error) {
    throw DecodeError.at(
      'SQS MessageBody',
      `expected base64 of a kombu JSON envelope or plain JSON, got ${decoded === undefined ? 'text that is neither' : 'base64 of text that is not JSON'} (starts with ${JSON.stringify(messageBody.slice(0, 40))})`,
      { cause: error },
    );
  }
  if (isEnvelope(parsed)) {
    return { envelope: normaliseEnvelope(parsed), bare: undefined, wasBase64: decoded !== undefined };
  }
  return { envelope: undefined, bare: parsed, wasBase64: decoded !== undefined };
}

function isEnvelope(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.hasOwn(value, 'properties') &&
    Object.hasOwn(value, 'body')
  );
}

function normaliseEnvelope(raw: Record<string, unknown>): KombuEnvelope {
  const record = (value: unknown, field: string): Record<string, unknown> => {
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw DecodeError.at('kombu envelope', `\`${field}\` must be an object, got ${JSON.stringify(value)}`);
    }
    return value as Record<string, unknown>;
  };
  const body = raw.body;
  return {
    // Some producers put the task body in the envelope as JSON rather than as a serialized string.
    body: typeof body === 'string' ? body : pythonJsonDumps(body),
    'content-encoding': typeof raw['content-encoding'] === 'string' ? raw['content-encoding'] : 'utf-8',
    'content-type': typeof raw['content-type'] === 'string' ? raw['content-type'] : 'application/data',
    headers: record(raw.headers, 'headers'),
    properties: {
      ...record(raw.properties, 'properties'),
      ...(typeof body === 'string' ? {} : { body_encoding: 'utf-8' }),
    },
  };
}

/**
 * The serialized task body inside an envelope, as bytes: undoes `body_encoding` and compression (inflating at
 * most `options.maxPayloadBytes`). Synchronous; the worker uses {@link envelopeBodyBytesAsync}.
 *
 * @throws {DecodeError} for a body that is not valid base64, uses a compression celeriac does not read, or
 *   inflates past `options.maxPayloadBytes`.
 */
export function envelopeBodyBytes(envelope: KombuEnvelope, options: DecodeOptions = {}): Buffer {
  const bytes = envelopeRawBytes(envelope);
  const compression = envelope.headers.compression;
  if (typeof compression !== 'string') return bytes;
  return decompressBody(
    bytes,
    compression,
    options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    bzip2Limit(options),
  );
}

/**
 * {@link envelopeBodyBytes}, inflating asynchronously (`inflate-body.ts`): a bomb does not hold the event loop,
 * and xz bodies are read too.
 *
 * @throws {DecodeError} as {@link envelopeBodyBytes} does.
 */
export async function envelopeBodyBytesAsync(
  envelope: KombuEnvelope,
  options: DecodeOptions = {},
): Promise<Buffer> {
  const bytes = envelopeRawBytes(envelope);
  const compression = envelope.headers.compression;
  if (typeof compression !== 'string') return bytes;
  return inflateBody(
    bytes,
    compression,
    options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    bzip2Limit(options),
  );
}

/** The `maxBzip2Bytes` option of the inflaters, when the decode options set one. */
function bzip2Limit(options: DecodeOptions): { maxBzip2Bytes?: number } {
  return options.maxBzip2Bytes === undefined ? {} : { maxBzip2Bytes: options.maxBzip2Bytes };
}

/** The envelope's body with `body_encoding` undone, still compressed if it was. */
function envelopeRawBytes(envelope: KombuEnvelope): Buffer {
  if (envelope.properties.body_encoding !== 'base64') return Buffer.from(envelope.body, 'utf-8');
  if (!LOOSE_BASE64.test(envelope.body)) {
    throw DecodeError.at('envelope body', 'properties.body_encoding is "base64" but the body is not base64');
  }
  return Buffer.from(envelope.body, 'base64');
}

/**
 * The serialized task body inside an envelope as JSON text: undoes `body_encoding` and compression, and checks
 * the content type.
 *
 * @throws {ContentDisallowed} for any content type but JSON (pickle, YAML, msgpack, `application/data`).
 * @throws {DecodeError} for a body that is not valid base64, uses an unsupported compression, or inflates past
 *   `options.maxPayloadBytes`.
 */
export function envelopeBodyText(envelope: KombuEnvelope, options: DecodeOptions = {}): string {
  const contentType = envelope['content-type'].split(';')[0]?.trim().toLowerCase() ?? '';
  if (contentType !== JSON_CONTENT_TYPE) throw ContentDisallowed.forType(envelope['content-type']);
  const bytes = envelopeBodyBytes(envelope, options);
  try {
    return utf8.decode(bytes);
  } catch (error) {
    throw DecodeError.at('envelope body', 'the body is not UTF-8 text', { cause: error });
  }
}
