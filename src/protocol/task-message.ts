/**
 * Celery task messages: protocol v2 encoding byte-compatible with Celery 5.6 (`celery/app/amqp.py`
 * `AMQP.as_task_v2`, kombu's `Producer.publish` and virtual-transport `prepare_message`), and decoding of v2,
 * v1 (`task_protocol=1`), v1 bodies behind v2 headers ("hybrid"), and bare v1 JSON without an envelope.
 *
 * This module gathers the pieces, each in a file of its own: the message types, building, encoding, and one
 * decoder per form a message arrives in.
 */
export { buildTaskMessage, type TaskMessageInput } from './build-task-message.js';
export { decodeBareTask } from './decode-bare-task.js';
export { decodeEnvelope, decodeEnvelopeAsync } from './decode-envelope.js';
export { decodeTaskMessage, decodeTaskMessageAsync } from './decode-task-message.js';
export {
  type BodyEncoding,
  encodeTaskMessage,
  serializeTaskBody,
  toEnvelope,
} from './encode-task-message.js';
export type { TaskEmbed, TaskHeaders, TaskMessage, TaskProperties } from './task-message-types.js';
