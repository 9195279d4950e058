/**
 * The AWS service limits the core and the adapters size things by, in one place. Only the numbers: the
 * arithmetic that measures a message is `message-size.ts`.
 */

/**
 * SQS's limit on one message, body and attributes together; also its limit on one `SendMessageBatch` request,
 * shared by all its entries.
 */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

/** SQS's limit on entries in one batch request (send, delete, change visibility) and on one receive. */
export const SQS_MAX_BATCH_ENTRIES = 10;

/** DynamoDB's item limit; celeriac keeps metas well under it to leave room for the key and attributes. */
export const DYNAMODB_MAX_ITEM_BYTES = 400 * 1024;

/**
 * The default size above which a message or a result meta goes to the payload store: 262 144 bytes (256 KiB),
 * the SQS Extended Client's default threshold.
 */
export const DEFAULT_OFFLOAD_THRESHOLD_BYTES = 262_144;

/** The default size above which a message or a result is refused outright (64 MiB), the decoders' bound too. */
export { DEFAULT_MAX_PAYLOAD_BYTES } from '../protocol/limits.js';

/** SQS's largest per-message delay (`DelaySeconds`), and so the longest hop of a re-delayed ETA. */
export const SQS_MAX_DELAY_SECONDS = 900;

/** SQS's largest visibility timeout: 12 hours from the receive. */
export const SQS_MAX_VISIBILITY_SECONDS = 43_200;
