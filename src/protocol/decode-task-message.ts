/**
 * Decoding an SQS `MessageBody` into a task message, whatever the producer sent: base64 or plain JSON, a kombu
 * envelope (protocol v2, v1 or hybrid) or a bare v1 task object.
 */
import { decodeBareTask } from './decode-bare-task.js';
import { decodeEnvelope, decodeEnvelopeAsync } from './decode-envelope.js';
import { decodeSqsMessageBody } from './envelope.js';
import type { DecodeOptions } from './limits.js';
import type { TaskMessage } from './task-message-types.js';

/**
 * Decodes an SQS `MessageBody` into a task message: base64 or plain JSON, a kombu envelope or a bare v1 task.
 *
 * @throws {ContentDisallowed} for pickle, and any content type not in `options.acceptContent` (JSON only by
 *   default); a bare task object counts as JSON.
 * @throws {SecurityError} with `options.verifier`, for a message that is not signed (a bare task object never is).
 * @throws {DecodeError} when a layer is not base64/UTF-8/JSON, a type tag is unknown, the JSON nests too deeply
 *   or a compressed body inflates past `options.maxPayloadBytes`.
 * @throws {InvalidTaskError} when the message is not a Celery task.
 * @example
 * const message = decodeTaskMessage(record.body);
 * message.headers.task; // 'tasks.add'
 */
export function decodeTaskMessage(messageBody: string, options: DecodeOptions = {}): TaskMessage {
  const { envelope, bare } = decodeSqsMessageBody(messageBody);
  return envelope ? decodeEnvelope(envelope, options) : decodeBareTask(bare, options);
}

/**
 * {@link decodeTaskMessage}, inflating a compressed body asynchronously (`inflate-body.ts`): the worker's
 * decoder, under which a decompression bomb does not hold the event loop, and which reads xz bodies too.
 *
 * @throws as {@link decodeTaskMessage} does.
 * @example
 * const message = await decodeTaskMessageAsync(record.body, { maxPayloadBytes: 1024 * 1024 });
 */
export async function decodeTaskMessageAsync(
  messageBody: string,
  options: DecodeOptions = {},
): Promise<TaskMessage> {
  const { envelope, bare } = decodeSqsMessageBody(messageBody);
  return envelope ? decodeEnvelopeAsync(envelope, options) : decodeBareTask(bare, options);
}
