/**
 * Decoding a kombu envelope into a task message: protocol v2, a v1 body behind v2 headers ("hybrid"), or
 * protocol v1 (`task_protocol=1`).
 */

import { AUTH_CONTENT_TYPE, verifyBody } from './auth-serializer.js';
import { decodeV1Body } from './decode-v1-body.js';
import { describeDecoded } from './describe-value.js';
import { envelopeBodyBytes, envelopeBodyBytesAsync, type KombuEnvelope } from './envelope.js';
import { ContentDisallowed, DecodeError, InvalidTaskError } from './errors.js';
import type { DecodeOptions } from './limits.js';
import { yamlLibrary } from './optional-libraries.js';
import {
  type Fields,
  readArgsKwargs,
  readTaskEmbed,
  readTaskHeaders,
  requiredField,
} from './read-task-headers.js';
import { SecurityError, SecurityReason } from './security-error.js';
import { DEFAULT_ACCEPT_CONTENT, deserializeValue, PICKLE_CONTENT_TYPE } from './serializers.js';
import type { TaskMessage, TaskProperties } from './task-message-types.js';
import { YAML_CONTENT_TYPE } from './yaml-body.js';

/**
 * Decodes a kombu envelope into a task message, whatever protocol the producer used.
 *
 * @throws {ContentDisallowed} for pickle, and any content type not in `options.acceptContent` (JSON only by
 *   default).
 * @throws {DecodeError} when a layer is not base64/UTF-8/JSON/msgpack/YAML, a type tag is unknown, the JSON nests too deeply
 *   or a compressed body inflates past `options.maxPayloadBytes`.
 * @throws {InvalidTaskError} when the message is not a Celery task (no `task` or `id`, wrong body shape).
 */
export function decodeEnvelope(envelope: KombuEnvelope, options: DecodeOptions = {}): TaskMessage {
  const accept = admittedContent(envelope, options);
  return decodeBody(envelope, envelopeBodyBytes(envelope, options), options, accept);
}

/**
 * {@link decodeEnvelope}, inflating a compressed body asynchronously: what the worker uses, so a decompression
 * bomb does not hold the event loop, and xz bodies are read too.
 *
 * @throws as {@link decodeEnvelope} does.
 */
export async function decodeEnvelopeAsync(
  envelope: KombuEnvelope,
  options: DecodeOptions = {},
): Promise<TaskMessage> {
  const accept = admittedContent(envelope, options);
  const bytes = await envelopeBodyBytesAsync(envelope, options);
  // An app that accepts YAML loads its library before the (synchronous) decode needs it.
  if (!yamlLibrary.loaded && accept.includes(YAML_CONTENT_TYPE)) await yamlLibrary.load();
  return decodeBody(envelope, bytes, options, accept);
}

/** Decodes the body bytes (inflated, still signed when signed) of an admitted envelope. */
function decodeBody(
  envelope: KombuEnvelope,
  inflated: Uint8Array,
  options: DecodeOptions,
  accept: readonly string[],
): TaskMessage {
  const properties = envelope.properties as TaskProperties;
  const headerId = typeof envelope.headers.id === 'string' ? envelope.headers.id : undefined;
  const { bytes, contentType } = options.verifier
    ? verifyBody(inflated, options.verifier)
    : { bytes: inflated, contentType: envelope['content-type'] };
  let body: unknown;
  try {
    body = deserializeValue(bytes, contentType, 'task body', accept, { exact: options.exactValues === true });
  } catch (error) {
    if (error instanceof DecodeError && headerId) {
      throw new InvalidTaskError(`${error.message} (task ${headerId})`, { taskId: headerId, cause: error });
    }
    throw error;
  }
  if (Object.hasOwn(envelope.headers, 'task')) {
    if (Array.isArray(body)) {
      if (body.length !== 3 && body.length !== 2) {
        throw new InvalidTaskError(
          `A protocol v2 body must be [args, kwargs, embed], got a list of ${body.length} element(s)`,
          { taskId: headerId },
        );
      }
      const id = requiredField(envelope.headers, 'id', undefined);
      const [args, kwargs] = readArgsKwargs(body[0], body[1], id);
      const headers = readTaskHeaders(envelope.headers, args, kwargs);
      return { protocol: 2, headers, properties, args, kwargs, embed: readTaskEmbed(body[2], id) };
    }
    if (typeof body === 'object' && body !== null && Object.hasOwn(body, 'args')) {
      return decodeV1Body(body as Fields, envelope.headers, properties, true);
    }
    throw new InvalidTaskError(
      `A protocol v2 body must be [args, kwargs, embed], got ${describeDecoded(body, 80)}`,
      {
        taskId: headerId,
      },
    );
  }
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    return decodeV1Body(body as Fields, envelope.headers, properties, false);
  }
  throw new InvalidTaskError(
    'Message has no `task` header and its body is not a protocol v1 task object; it is not a Celery task message',
  );
}

/**
 * Checks the content type against the accept list (and, with a verifier, that the message is signed) before the
 * body is inflated or read; returns the accept list.
 */
function admittedContent(envelope: KombuEnvelope, options: DecodeOptions): readonly string[] {
  const accept = options.acceptContent ?? DEFAULT_ACCEPT_CONTENT;
  const contentType = envelope['content-type'];
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (options.verifier) {
    if (type !== AUTH_CONTENT_TYPE) {
      throw new SecurityError(
        `Refusing an unsigned message (content type ${JSON.stringify(contentType)}): this worker accepts only ` +
          "messages signed with Celery's auth serializer",
        { reason: SecurityReason.UNSIGNED },
      );
    }
    return accept;
  }
  if (type === PICKLE_CONTENT_TYPE || !accept.includes(type)) {
    throw ContentDisallowed.forType(contentType, { accepted: accept });
  }
  return accept;
}
