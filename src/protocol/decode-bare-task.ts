/**
 * Decoding a protocol v1 task object that arrived as bare JSON, without a kombu envelope.
 */
import { decodeV1Body } from './decode-v1-body.js';
import { ContentDisallowed, InvalidTaskError } from './errors.js';
import type { DecodeOptions } from './limits.js';
import type { Fields } from './read-task-headers.js';
import { SecurityError, SecurityReason } from './security-error.js';
import { DEFAULT_ACCEPT_CONTENT } from './serializers.js';
import type { TaskMessage } from './task-message-types.js';
import { fromTaggedJson } from './type-tags.js';

/**
 * Decodes bare JSON that arrived without a kombu envelope: a protocol v1 task object
 * (`{"task": ..., "id": ..., "args": [...], "kwargs": {...}}`), as some non-Celery producers send. It is JSON
 * and cannot be signed, so it passes the same gate as an enveloped message: refused when the receiver requires
 * signed messages (`options.verifier`) or does not accept JSON (`options.acceptContent`).
 *
 * @throws {SecurityError} with reason `UNSIGNED` when `options.verifier` is set.
 * @throws {ContentDisallowed} when `application/json` is not in `options.acceptContent`.
 * @throws {InvalidTaskError} when the JSON is not a task object.
 */
export function decodeBareTask(json: unknown, options: DecodeOptions = {}): TaskMessage {
  if (options.verifier) {
    throw new SecurityError(
      'Refusing an unsigned message (bare JSON, no kombu envelope): this worker accepts only messages signed ' +
        "with Celery's auth serializer",
      { reason: SecurityReason.UNSIGNED },
    );
  }
  const accept = options.acceptContent ?? DEFAULT_ACCEPT_CONTENT;
  if (!accept.includes('application/json'))
    throw ContentDisallowed.forType('application/json', { accepted: accept });
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !Object.hasOwn(json, 'task')) {
    throw new InvalidTaskError(
      'Message is JSON but neither a kombu envelope (no `properties`/`body`) nor a task object (no `task`)',
    );
  }
  const body = fromTaggedJson(json, 'task body') as Fields;
  return decodeV1Body(body, {}, { body_encoding: 'utf-8', delivery_info: {} }, false);
}
