/**
 * Pointers to payloads kept in S3, in two places:
 *
 * - **Messages** follow the SQS Extended Client convention (Java `amazon-sqs-java-extended-client-lib`, Python
 *   `amazon-sqs-python-extended-client-lib`): the `MessageBody` is the JSON array
 *   `["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": ..., "s3Key": ...}]` and the
 *   message attribute `ExtendedPayloadSize` (Number) holds the payload's size in bytes. The S3 object holds the
 *   original `MessageBody` as UTF-8. Readers also accept the legacy pointer class
 *   `com.amazon.sqs.javamessaging.MessageS3Pointer` and attribute `SQSLargePayloadSize`.
 * - **Results** too large for a DynamoDB item keep a small meta in the item, with a top-level
 *   `celeriac_payload` field `{s3BucketName, s3Key, size}` locating the full meta (kombu JSON) in S3. The small meta
 *   stays readable by Python Celery: the same status, a `result` that says where the value went (for exception
 *   states, an exception dict with the same `exc_type` whose message says so), and no traceback.
 */
import { pythonJsonDumps } from './python-json.js';
import type { ResultMeta } from './result-meta.js';
import { EXCEPTION_STATES } from './states.js';

/** The Extended Client's pointer class. */
export const PAYLOAD_POINTER_CLASS = 'software.amazon.payloadoffloading.PayloadS3Pointer';
/** The Extended Client's first pointer class, still read. */
export const LEGACY_PAYLOAD_POINTER_CLASS = 'com.amazon.sqs.javamessaging.MessageS3Pointer';
/** The message attribute that marks an offloaded message and holds its size. */
export const EXTENDED_PAYLOAD_SIZE_ATTRIBUTE = 'ExtendedPayloadSize';
/** The attribute older Extended Clients write instead. */
export const LEGACY_PAYLOAD_SIZE_ATTRIBUTE = 'SQSLargePayloadSize';

/** Where an offloaded payload lives. */
export interface S3PayloadLocation {
  readonly s3BucketName: string;
  readonly s3Key: string;
}

/** The `MessageBody` that points to an offloaded message. */
export function encodeS3Pointer(location: S3PayloadLocation): string {
  return pythonJsonDumps([
    PAYLOAD_POINTER_CLASS,
    { s3BucketName: location.s3BucketName, s3Key: location.s3Key },
  ]);
}

/** The location in a pointer `MessageBody`, or `undefined` when the body is not a pointer. */
export function parseS3Pointer(body: string): S3PayloadLocation | undefined {
  if (!body.startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
  const [kind, details] = parsed as [unknown, unknown];
  if (kind !== PAYLOAD_POINTER_CLASS && kind !== LEGACY_PAYLOAD_POINTER_CLASS) return undefined;
  if (typeof details !== 'object' || details === null) return undefined;
  const { s3BucketName, s3Key } = details as Record<string, unknown>;
  if (typeof s3BucketName !== 'string' || typeof s3Key !== 'string') return undefined;
  return { s3BucketName, s3Key };
}

/** Where a result meta's full form lives, when it was offloaded. */
export interface ResultPayloadClaim extends S3PayloadLocation {
  /** Size of the full meta in bytes. */
  readonly size: number;
}

/** The field of a small result meta that locates the full one. */
export const RESULT_PAYLOAD_FIELD = 'celeriac_payload';

/** The claim in a stored meta, if the meta was offloaded. */
export function resultPayloadClaim(meta: ResultMeta): ResultPayloadClaim | undefined {
  const claim = meta[RESULT_PAYLOAD_FIELD];
  if (typeof claim !== 'object' || claim === null) return undefined;
  const { s3BucketName, s3Key, size } = claim as Record<string, unknown>;
  if (typeof s3BucketName !== 'string' || typeof s3Key !== 'string') return undefined;
  return { s3BucketName, s3Key, size: typeof size === 'number' ? size : 0 };
}

/**
 * The small meta stored in place of a large one: same status, ids and dates; a `result` that tells a Python
 * reader where the value is; the claim in {@link RESULT_PAYLOAD_FIELD}.
 */
export function claimMeta(meta: ResultMeta, claim: ResultPayloadClaim): ResultMeta {
  const note = `celeriac: the ${meta.status} result (${claim.size} bytes) is stored in S3 at s3://${claim.s3BucketName}/${claim.s3Key}; read it with celeriac's AsyncResult`;
  const original = meta.result as Record<string, unknown> | null;
  const result =
    EXCEPTION_STATES.has(meta.status) && original && typeof original.exc_type === 'string'
      ? { exc_type: original.exc_type, exc_message: [note], exc_module: original.exc_module ?? null }
      : note;
  const { task_id, ...rest } = meta;
  return { ...rest, result, traceback: null, [RESULT_PAYLOAD_FIELD]: claim, task_id };
}
