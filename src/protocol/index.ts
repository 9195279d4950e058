/**
 * celeriac's wire formats: Celery task messages (protocol v2, and v1 for reading) inside kombu's SQS envelope,
 * kombu JSON with type tags, result metas and exceptions in Celery's shape. Pure functions, no I/O.
 *
 * @packageDocumentation
 */
export * from './auth-serializer.js';
export * from './compression.js';
export * from './envelope.js';
export * from './errors.js';
export * from './exact-values.js';
export * from './exception-info.js';
export * from './inflate-body.js';
export * from './iso-time.js';
export { LibraryNotLoaded } from './lazy-library.js';
export * from './limits.js';
export * from './msgpack-body.js';
export * from './payload-pointer.js';
export * from './python-json.js';
export * from './python-repr.js';
export * from './queue-name.js';
export * from './result-meta.js';
export * from './security-error.js';
export * from './serializers.js';
export * from './signature.js';
export * from './signing-certificate.js';
export * from './states.js';
export * from './task-message.js';
export * from './type-tags.js';
export * from './yaml-body.js';
