/**
 * Decoding a protocol v1 task object that arrived as bare JSON, without a kombu envelope.
 */
import { decodeV1Body } from './decode-v1-body.js';
import { InvalidTaskError } from './errors.js';
import type { Fields } from './read-task-headers.js';
import type { TaskMessage } from './task-message-types.js';
import { fromTaggedJson } from './type-tags.js';

/**
 * Decodes bare JSON that arrived without a kombu envelope: a protocol v1 task object
 * (`{"task": ..., "id": ..., "args": [...], "kwargs": {...}}`), as some non-Celery producers send.
 */
export function decodeBareTask(json: unknown): TaskMessage {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !Object.hasOwn(json, 'task')) {
    throw new InvalidTaskError(
      'Message is JSON but neither a kombu envelope (no `properties`/`body`) nor a task object (no `task`)',
    );
  }
  const body = fromTaggedJson(json, 'task body') as Fields;
  return decodeV1Body(body, {}, { body_encoding: 'utf-8', delivery_info: {} }, false);
}
