/**
 * Large payloads, so SQS's 1 MiB message limit and DynamoDB's 400 KB item limit never reach the user.
 *
 * How the settings combine:
 * - A message whose `MessageBody` (plus attributes) is over `payloadThresholdBytes` goes to the payload store, and
 *   a pointer in the SQS Extended Client format goes on the queue. Without a payload store, a message that fits
 *   SQS's limit is sent as it is and one that does not is refused before anything is sent.
 * - A result meta over `resultThresholdBytes` goes to the payload store, and the DynamoDB item keeps a small meta
 *   with a claim (see `protocol/payload-pointer.ts`). Without a store, a result too large for an item is refused
 *   with an error, which the worker stores as the task's FAILURE instead.
 * - Anything over `maxPayloadBytes` is refused outright, with its size and the limit: on the way out before it is
 *   stored, and on the way in before it is read (a pointer to a larger object is refused by the object's size).
 * Keys tie payloads to their task id (`<prefix><task id>/...`), so `forget()` removes them with the result.
 */
import { PayloadTooLargeError } from './errors.js';
import type { MessageAttribute, OutgoingMessage } from './ports/broker.js';
import { messageSize } from './ports/message-size.js';
import type { PayloadLocation, PayloadStore } from './ports/payload-store.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_OFFLOAD_THRESHOLD_BYTES,
  DYNAMODB_MAX_ITEM_BYTES,
  SQS_MAX_MESSAGE_BYTES,
} from './ports/service-limits.js';
import { DecodeError } from './protocol/errors.js';
import {
  claimMeta,
  EXTENDED_PAYLOAD_SIZE_ATTRIBUTE,
  encodeS3Pointer,
  LEGACY_PAYLOAD_SIZE_ATTRIBUTE,
  parseS3Pointer,
  resultPayloadClaim,
} from './protocol/payload-pointer.js';
import { decodeResultMeta, encodeResultMeta, type ResultMeta } from './protocol/result-meta.js';
import { SecurityError, SecurityReason } from './protocol/security-error.js';

/** The thresholds of {@link Payloads}. */
export interface PayloadLimits {
  /** Offload messages larger than this. Default 262 144 (256 KiB, the Extended Client's default). */
  readonly payloadThresholdBytes: number;
  /** Offload result metas larger than this. Default 262 144. */
  readonly resultThresholdBytes: number;
  /** Refuse anything larger. Default 67 108 864 (64 MiB). */
  readonly maxPayloadBytes: number;
}

/** The defaults of {@link PayloadLimits}. */
export const DEFAULT_PAYLOAD_LIMITS: PayloadLimits = {
  payloadThresholdBytes: DEFAULT_OFFLOAD_THRESHOLD_BYTES,
  resultThresholdBytes: DEFAULT_OFFLOAD_THRESHOLD_BYTES,
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The text of an object read from the payload store; bytes that are not UTF-8 are refused, naming the object. */
function textAt(bytes: Uint8Array, location: PayloadLocation, layer: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw DecodeError.at(
      layer,
      `the object at s3://${location.bucket}/${location.key} (${bytes.length} bytes) is not UTF-8 text`,
    );
  }
}

/** Offloads and resolves large messages and results. */
export class Payloads {
  readonly #store: PayloadStore | undefined;
  readonly limits: PayloadLimits;

  readonly #exact: boolean;

  /** @param options.exact read offloaded results exactly (the app's `exactValues`); default false. */
  constructor(
    store: PayloadStore | undefined,
    limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS,
    options: { readonly exact?: boolean } = {},
  ) {
    this.#store = store;
    this.limits = limits;
    this.#exact = options.exact ?? false;
  }

  /**
   * The message to put on the queue for `body`: itself, or a pointer to it in the payload store.
   *
   * @throws {PayloadTooLargeError} when it is over `maxPayloadBytes`, or too large for SQS with no store.
   */
  async offloadMessage(
    taskId: string,
    attempt: number,
    message: OutgoingMessage,
    subject: string,
  ): Promise<OutgoingMessage> {
    const bytes = encoder.encode(message.body);
    const size = messageSize(message);
    if (size > this.limits.maxPayloadBytes) {
      throw PayloadTooLargeError.of(
        subject,
        size,
        this.limits.maxPayloadBytes,
        'Raise `maxPayloadBytes`, or pass a reference (an S3 key, say) instead of the data.',
      );
    }
    if (size <= this.limits.payloadThresholdBytes) return message;
    if (!this.#store) {
      if (size <= SQS_MAX_MESSAGE_BYTES) return message;
      throw PayloadTooLargeError.of(
        subject,
        size,
        SQS_MAX_MESSAGE_BYTES,
        'SQS takes at most 1 MiB per message; configure a payload bucket (`payloadBucket` / CELERIAC_PAYLOAD_BUCKET, set by the ResultStore construct grants) so large messages go through S3.',
      );
    }
    const location = await this.#store.put(
      `${taskId}/message-r${attempt}-${globalThis.crypto.randomUUID()}.json`,
      bytes,
    );
    return {
      ...message,
      body: encodeS3Pointer({ s3BucketName: location.bucket, s3Key: location.key }),
      attributes: {
        ...(message.attributes ?? {}),
        [EXTENDED_PAYLOAD_SIZE_ATTRIBUTE]: { dataType: 'Number', stringValue: String(bytes.length) },
      },
    };
  }

  /**
   * The real `MessageBody` of a received message: fetched from the payload store when the message is an
   * Extended Client pointer, else the body itself.
   */
  async resolveMessage(
    body: string,
    attributes: Readonly<Record<string, MessageAttribute>>,
  ): Promise<string> {
    const pointer = parseS3Pointer(body);
    if (!pointer) return body;
    if (!this.#store) {
      throw PayloadTooLargeError.of(
        'offloaded message',
        Number(
          (attributes[EXTENDED_PAYLOAD_SIZE_ATTRIBUTE] ?? attributes[LEGACY_PAYLOAD_SIZE_ATTRIBUTE])
            ?.stringValue ?? 0,
        ),
        0,
        `It points to s3://${pointer.s3BucketName}/${pointer.s3Key} and this app has no payload store: configure \`payloadBucket\`.`,
      );
    }
    const location = this.#owned({ bucket: pointer.s3BucketName, key: pointer.s3Key }, 'message');
    const bytes = await this.#store.get(location, { maxBytes: this.limits.maxPayloadBytes });
    return textAt(bytes, location, 'offloaded message');
  }

  /**
   * The meta to store for `meta`: itself, or a small meta with a claim on the full one in the payload store.
   *
   * @throws {PayloadTooLargeError} when the meta is too large for an item and there is no store, or over the max.
   */
  async offloadMeta(meta: ResultMeta): Promise<ResultMeta> {
    const bytes = encoder.encode(encodeResultMeta(meta));
    const subject = `${meta.status} result of task ${meta.task_id}`;
    if (bytes.length > this.limits.maxPayloadBytes) {
      throw PayloadTooLargeError.of(
        subject,
        bytes.length,
        this.limits.maxPayloadBytes,
        'Return a reference (an S3 key, say) instead of the data.',
      );
    }
    if (bytes.length <= this.limits.resultThresholdBytes) return meta;
    if (!this.#store) {
      if (bytes.length <= DYNAMODB_MAX_ITEM_BYTES - 8 * 1024) return meta;
      throw PayloadTooLargeError.of(
        subject,
        bytes.length,
        DYNAMODB_MAX_ITEM_BYTES - 8 * 1024,
        'DynamoDB items hold at most 400 KB; configure a payload bucket (`payloadBucket` / CELERIAC_PAYLOAD_BUCKET) so large results go through S3.',
      );
    }
    const location = await this.#store.put(`${meta.task_id}/result-${meta.status.toLowerCase()}.json`, bytes);
    return claimMeta(meta, { s3BucketName: location.bucket, s3Key: location.key, size: bytes.length });
  }

  /** The full meta behind a stored one (fetched when the stored one is a claim). */
  async resolveMeta(meta: ResultMeta): Promise<ResultMeta> {
    const claim = resultPayloadClaim(meta);
    if (!claim) return meta;
    if (!this.#store) {
      throw PayloadTooLargeError.of(
        `${meta.status} result of task ${meta.task_id}`,
        claim.size,
        0,
        `It is stored at s3://${claim.s3BucketName}/${claim.s3Key} and this app has no payload store: configure \`payloadBucket\`.`,
      );
    }
    const location = this.#owned({ bucket: claim.s3BucketName, key: claim.s3Key }, 'result');
    const bytes = await this.#store.get(location, { maxBytes: this.limits.maxPayloadBytes });
    return decodeResultMeta(textAt(bytes, location, 'offloaded result meta'), { exact: this.#exact });
  }

  /** `location`, when it is inside the payload store; a pointer anywhere else is refused, never followed. */
  #owned(location: PayloadLocation, what: string): PayloadLocation {
    if (this.#store?.owns(location)) return location;
    throw new SecurityError(
      `Refusing an offloaded ${what} that points outside the payload bucket and prefix: ` +
        `s3://${location.bucket}/${location.key}`,
      { reason: SecurityReason.FOREIGN_PAYLOAD },
    );
  }

  /** Deletes every payload of a task. */
  async forget(taskId: string): Promise<void> {
    await this.#store?.deletePrefix(`${taskId}/`);
  }
}
