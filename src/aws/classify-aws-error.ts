/**
 * Classifies AWS SDK errors with the SDK's own classifiers (`@smithy/core/retry`, the module its standard retry
 * strategy decides with), plus the few AWS error codes and Node errors they do not know. An error reaches this
 * classifier only after the SDK has spent its own jittered retries on it, so "retryable" here means "the outage
 * may end": the worker leaves the message for redelivery instead of storing FAILURE.
 *
 * What the SDK's classifiers cover (in the version pinned in package.json): throttling by code (`Throttling`,
 * `ThrottlingException`, `ProvisionedThroughputExceededException`, `RequestLimitExceeded`, `SlowDown`,
 * `TooManyRequestsException`, `TransactionInProgressException`, ...) or by HTTP 429; transient errors by code
 * (`TimeoutError`, `RequestTimeout`, `RequestTimeoutException`), by HTTP 500/502/503/504, by the `$retryable`
 * trait, by a corrected clock skew, and Node socket and DNS errors (`ECONNRESET`, `ECONNREFUSED`, `EPIPE`,
 * `ETIMEDOUT`, `EHOSTUNREACH`, `ENETUNREACH`, `ENOTFOUND`, `EAI_AGAIN`), also when they are an error's cause;
 * and any other 5xx as a server error.
 *
 * What celeriac adds: KMS throttling as SQS and DynamoDB report it (`KmsThrottled`, `KMSThrottlingException`),
 * a few server-side codes that may arrive without an HTTP status (a wrapped error, an emulator), and the Node
 * errors of a connection cut while a response body is read (`ECONNABORTED`, `ERR_STREAM_PREMATURE_CLOSE`),
 * which happen after the SDK's retry loop has returned.
 *
 * Deliberately not retryable: `AbortError` (the caller gave up), and every other 4xx, such as `AccessDenied`,
 * `AccessDeniedException`, `ValidationException`, `QueueDoesNotExist`, `ResourceNotFoundException`, `NoSuchKey`.
 * The SDK's `isClockSkewError` is not used: it lists `AccessDeniedException`, a permanent refusal; the SDK
 * itself only treats a skew it corrected as transient (`isClockSkewCorrectedError`).
 */
import {
  isClockSkewCorrectedError,
  isServerError,
  isThrottlingError,
  isTransientError,
} from '@smithy/core/retry';

/** How an AWS error classifies: the SDK's three retryable classes, or permanent. */
export const AwsErrorClass = {
  /** The service asked the caller to slow down (HTTP 429, throttling codes, KMS throttling). */
  THROTTLING: 'throttling',
  /** A timeout, a dropped connection, an unreachable host, a 500/502/503/504, or a corrected clock skew. */
  TRANSIENT: 'transient',
  /** Any other 5xx. */
  SERVER: 'server',
  /** A refusal that a retry cannot change (4xx other than throttling), or an error that is not AWS's. */
  PERMANENT: 'permanent',
} as const;
/** One of {@link AwsErrorClass}. */
export type AwsErrorClass = (typeof AwsErrorClass)[keyof typeof AwsErrorClass];

/** Throttling codes the SDK's list lacks. */
const EXTRA_THROTTLING_CODES: ReadonlySet<string> = new Set(['KmsThrottled', 'KMSThrottlingException']);

/** Server-side codes that mean "try again" even without an HTTP status. */
const EXTRA_TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'InternalServerError',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
]);

/** Node errors of a connection cut mid-body, after the SDK's retries. */
const EXTRA_NODE_CODES: ReadonlySet<string> = new Set(['ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** The argument type of the SDK's classifiers. */
type SdkError = Parameters<typeof isThrottlingError>[0];

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
}

function hasExtraCode(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 10) return false;
  const { name, code, cause } = error as ErrorShape;
  return (
    (typeof name === 'string' && (EXTRA_THROTTLING_CODES.has(name) || EXTRA_TRANSIENT_CODES.has(name))) ||
    (typeof code === 'string' && EXTRA_NODE_CODES.has(code)) ||
    hasExtraCode(cause, depth + 1)
  );
}

/**
 * The class of an error thrown by an AWS SDK call (or by reading its response body).
 *
 * @example
 * classifyAwsError(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })) // 'throttling'
 * classifyAwsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))        // 'transient'
 * classifyAwsError(Object.assign(new Error('no'), { name: 'AccessDeniedException' }))         // 'permanent'
 */
export function classifyAwsError(error: unknown): AwsErrorClass {
  if (typeof error !== 'object' || error === null) return AwsErrorClass.PERMANENT;
  const name = (error as ErrorShape).name;
  if (name === 'AbortError') return AwsErrorClass.PERMANENT;
  const sdkError = error as SdkError;
  if (isThrottlingError(sdkError) || (typeof name === 'string' && EXTRA_THROTTLING_CODES.has(name)))
    return AwsErrorClass.THROTTLING;
  if (isTransientError(sdkError) || isClockSkewCorrectedError(sdkError) || hasExtraCode(error))
    return AwsErrorClass.TRANSIENT;
  if (isServerError(sdkError)) return AwsErrorClass.SERVER;
  return AwsErrorClass.PERMANENT;
}

/** Whether trying the operation again later may succeed. */
export function isRetryableAwsError(error: unknown): boolean {
  return classifyAwsError(error) !== AwsErrorClass.PERMANENT;
}
