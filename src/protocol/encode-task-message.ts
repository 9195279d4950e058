/**
 * Encoding a task message as the bytes kombu's SQS transport sends: the body serialized (kombu JSON by default,
 * or msgpack or YAML), optionally compressed, base64 inside the envelope, and the envelope as Python-style JSON,
 * base64 again.
 */
import { type MessageSigner, signBody } from './auth-serializer.js';
import { type CompressionMethod, compressBody } from './compression.js';
import { encodeSqsMessageBody, type KombuEnvelope } from './envelope.js';
import { type SerializerName, serializeValue } from './serializers.js';
import type { TaskMessage } from './task-message-types.js';
import { kombuJsonDumps } from './type-tags.js';

/** How a message's body is written. */
export interface BodyEncoding {
  /** The serializer (Celery `task_serializer`). Default `json`. */
  readonly serializer?: SerializerName;
  /** Compress the serialized body (Celery `task_compression`); adds the `compression` header. Default none. */
  readonly compression?: CompressionMethod;
  /** Sign the serialized body (Celery's `auth` serializer), before any compression. Default unsigned. */
  readonly signer?: MessageSigner;
}

/** Serializes the `[args, kwargs, embed]` body as kombu's JSON. */
export function serializeTaskBody(message: Pick<TaskMessage, 'args' | 'kwargs' | 'embed'>): string {
  return kombuJsonDumps(bodyValue(message));
}

function bodyValue(message: Pick<TaskMessage, 'args' | 'kwargs' | 'embed'>): unknown[] {
  const { callbacks, errbacks, chain, chord } = message.embed;
  return [message.args, message.kwargs, { callbacks, errbacks, chain, chord }];
}

/**
 * The kombu envelope of a v2 message. With compression, the `compression` header comes last, as kombu's
 * `Producer._prepare` appends it.
 *
 * @throws {EncodeError} when the serializer has no form for a value, naming its path.
 */
export function toEnvelope(message: TaskMessage, encoding: BodyEncoding = {}): KombuEnvelope {
  const plain = serializeValue(bodyValue(message), encoding.serializer ?? 'json');
  const serialized = encoding.signer ? signBody(plain, encoding.signer) : plain;
  let bytes: Uint8Array = serialized.bytes;
  let headers = message.headers as Record<string, unknown>;
  if (encoding.compression !== undefined) {
    const compressed = compressBody(bytes, encoding.compression);
    bytes = compressed.bytes;
    const { compression: _replaced, ...rest } = headers;
    headers = { ...rest, compression: compressed.contentType };
  }
  return {
    body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
    'content-encoding': serialized.contentEncoding,
    'content-type': serialized.contentType,
    headers,
    properties: message.properties,
  };
}

/**
 * Encodes a v2 message as an SQS `MessageBody` exactly as kombu's SQS transport does (double base64).
 *
 * @example
 * const body = encodeTaskMessage(buildTaskMessage({ taskId, name: 'tasks.add', args: [2, 3], queue: 'celery', origin }));
 * const small = encodeTaskMessage(message, { compression: 'zlib' });
 */
export function encodeTaskMessage(
  message: TaskMessage,
  options: BodyEncoding & { readonly base64?: boolean } = {},
): string {
  return encodeSqsMessageBody(toEnvelope(message, options), options);
}
