/**
 * Decoding a kombu envelope into a task message: protocol v2, a v1 body behind v2 headers ("hybrid"), or
 * protocol v1 (`task_protocol=1`).
 */

import { decodeV1Body } from './decode-v1-body.js';
import { envelopeBodyText, type KombuEnvelope } from './envelope.js';
import { DecodeError, InvalidTaskError } from './errors.js';
import type { DecodeOptions } from './limits.js';
import {
  type Fields,
  readArgsKwargs,
  readTaskEmbed,
  readTaskHeaders,
  requiredField,
} from './read-task-headers.js';
import type { TaskMessage, TaskProperties } from './task-message-types.js';
import { kombuJsonLoads } from './type-tags.js';

/**
 * Decodes a kombu envelope into a task message, whatever protocol the producer used.
 *
 * @throws {ContentDisallowed} for pickle, YAML or any content type but JSON.
 * @throws {DecodeError} when a layer is not base64/UTF-8/JSON, a type tag is unknown, the JSON nests too deeply
 *   or a compressed body inflates past `options.maxPayloadBytes`.
 * @throws {InvalidTaskError} when the message is not a Celery task (no `task` or `id`, wrong body shape).
 */
export function decodeEnvelope(envelope: KombuEnvelope, options: DecodeOptions = {}): TaskMessage {
  const properties = envelope.properties as TaskProperties;
  const text = envelopeBodyText(envelope, options);
  const headerId = typeof envelope.headers.id === 'string' ? envelope.headers.id : undefined;
  let body: unknown;
  try {
    body = kombuJsonLoads(text, 'task body');
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
      `A protocol v2 body must be [args, kwargs, embed], got ${JSON.stringify(body)?.slice(0, 80)}`,
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
