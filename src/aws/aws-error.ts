/**
 * Translates AWS SDK errors into {@link BackendError}, so no SDK error type leaks past the adapters. Whether
 * the error is retryable is decided by {@link classifyAwsError}, with the SDK's own classifiers.
 */
import { BackendError } from '../errors.js';
import { AwsErrorClass, classifyAwsError } from './classify-aws-error.js';

interface SdkErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
}

/** The SDK error's name (its AWS error code), if it has one. */
export function awsErrorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape).name : undefined;
}

/**
 * Wraps an SDK error with the operation that failed and whether a retry may help.
 *
 * @example
 * throw backendError(`SQS SendMessage(${queueUrl})`, error);
 * // BackendError: SQS SendMessage(https://...) failed: KmsThrottled: ... (throttling, retryable)
 */
export function backendError(operation: string, error: unknown, hint = ''): BackendError {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const errorClass = classifyAwsError(error);
  const code = shape.code && shape.code !== shape.name ? ` (${shape.code})` : '';
  const detail =
    `${shape.name ?? 'Error'}${code}: ${shape.message ?? String(error)}` +
    (errorClass === AwsErrorClass.PERMANENT ? '' : ` [${errorClass}, retryable]`) +
    (hint ? `. ${hint}` : '');
  return BackendError.failed(operation, detail, errorClass !== AwsErrorClass.PERMANENT, { cause: error });
}
