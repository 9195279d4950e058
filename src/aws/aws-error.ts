/**
 * Translates AWS SDK errors into {@link BackendError}, so no SDK error type leaks past the adapters.
 */
import { BackendError } from '../errors.js';

interface SdkErrorShape {
  name?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const RETRYABLE_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestThrottled',
  'KMSThrottlingException',
]);

/** The SDK error's name (its AWS error code), if it has one. */
export function awsErrorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape).name : undefined;
}

/** Wraps an SDK error with the operation that failed and whether a retry may help. */
export function backendError(operation: string, error: unknown, hint = ''): BackendError {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = shape.$metadata?.httpStatusCode;
  const retryable =
    Boolean(shape.$retryable) ||
    RETRYABLE_CODES.has(shape.name ?? '') ||
    (status !== undefined && status >= 500);
  const detail = `${shape.name ?? 'Error'}: ${shape.message ?? String(error)}${hint ? `. ${hint}` : ''}`;
  return new BackendError(operation, detail, retryable, { cause: error });
}
