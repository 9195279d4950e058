/**
 * Encoding a task message as the bytes kombu's SQS transport sends: the body as kombu JSON, base64 inside the
 * envelope, and the envelope as Python-style JSON, base64 again.
 */
import { base64Encode, encodeSqsMessageBody, JSON_CONTENT_TYPE, type KombuEnvelope } from './envelope.js';
import type { TaskMessage } from './task-message-types.js';
import { kombuJsonDumps } from './type-tags.js';

/** Serializes the `[args, kwargs, embed]` body as kombu's JSON. */
export function serializeTaskBody(message: Pick<TaskMessage, 'args' | 'kwargs' | 'embed'>): string {
  const { callbacks, errbacks, chain, chord } = message.embed;
  return kombuJsonDumps([message.args, message.kwargs, { callbacks, errbacks, chain, chord }]);
}

/** The kombu envelope of a v2 message. */
export function toEnvelope(message: TaskMessage): KombuEnvelope {
  return {
    body: base64Encode(serializeTaskBody(message)),
    'content-encoding': 'utf-8',
    'content-type': JSON_CONTENT_TYPE,
    headers: message.headers,
    properties: message.properties,
  };
}

/**
 * Encodes a v2 message as an SQS `MessageBody` exactly as kombu's SQS transport does (double base64).
 *
 * @example
 * const body = encodeTaskMessage(buildTaskMessage({ taskId, name: 'tasks.add', args: [2, 3], queue: 'celery', origin }));
 */
export function encodeTaskMessage(message: TaskMessage, options: { base64?: boolean } = {}): string {
  return encodeSqsMessageBody(toEnvelope(message), options);
}
