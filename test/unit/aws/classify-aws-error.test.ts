import { describe, expect, it } from 'vitest';
import { AwsErrorClass, classifyAwsError } from '../../../src/aws/classify-aws-error.js';
import { serviceError, socketError, timeoutError } from './sdk-errors.js';

describe('classifyAwsError', () => {
  it.each([
    ['ThrottlingException', 400],
    ['Throttling', 400],
    ['ProvisionedThroughputExceededException', 400],
    ['RequestLimitExceeded', 400],
    ['RequestThrottled', 403],
    ['TooManyRequestsException', 429],
    ['TransactionInProgressException', 400],
    ['SlowDown', 503],
    ['KmsThrottled', 400],
    ['KMSThrottlingException', 400],
    ['SomethingNew', 429],
  ])('classifies %s (HTTP %i) as throttling', (name, status) => {
    expect(classifyAwsError(serviceError(name, status))).toBe(AwsErrorClass.THROTTLING);
  });

  it.each([
    ['InternalServerError', 500],
    ['BadGateway', 502],
    ['ServiceUnavailable', 503],
    ['GatewayTimeout', 504],
    ['RequestTimeout', 400],
    ['RequestTimeoutException', 408],
  ])('classifies %s (HTTP %i) as transient', (name, status) => {
    expect(classifyAwsError(serviceError(name, status))).toBe(AwsErrorClass.TRANSIENT);
  });

  it('classifies other 5xx as server errors', () => {
    expect(classifyAwsError(serviceError('InsufficientStorage', 507))).toBe(AwsErrorClass.SERVER);
  });

  it.each([
    'ECONNRESET',
    'ECONNREFUSED',
    'ETIMEDOUT',
    'EPIPE',
    'EAI_AGAIN',
    'ENOTFOUND',
    'EHOSTUNREACH',
    'ECONNABORTED',
    'ERR_STREAM_PREMATURE_CLOSE',
  ])('classifies the Node socket error %s as transient', (code) => {
    expect(classifyAwsError(socketError(code))).toBe(AwsErrorClass.TRANSIENT);
  });

  it('classifies the request handler’s timeout as transient, also when it is only the cause', () => {
    expect(classifyAwsError(timeoutError())).toBe(AwsErrorClass.TRANSIENT);
    expect(classifyAwsError(new Error('body read failed', { cause: socketError('ECONNRESET') }))).toBe(
      AwsErrorClass.TRANSIENT,
    );
  });

  it('classifies server-side codes that arrive without a status as transient', () => {
    expect(classifyAwsError(Object.assign(new Error('x'), { name: 'InternalError' }))).toBe(
      AwsErrorClass.TRANSIENT,
    );
  });

  it.each([
    ['AccessDenied', 403],
    ['AccessDeniedException', 400],
    ['ValidationException', 400],
    ['ValidationError', 400],
    ['QueueDoesNotExist', 400],
    ['ResourceNotFoundException', 400],
    ['NoSuchKey', 404],
    ['NoSuchBucket', 404],
    ['InvalidParameterValue', 400],
    ['KmsAccessDenied', 400],
  ])('classifies %s (HTTP %i) as permanent', (name, status) => {
    expect(classifyAwsError(serviceError(name, status))).toBe(AwsErrorClass.PERMANENT);
  });

  it('classifies an abort, a plain error and a non-error as permanent', () => {
    expect(classifyAwsError(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe(
      AwsErrorClass.PERMANENT,
    );
    expect(classifyAwsError(new Error('GetObject returned no body'))).toBe(AwsErrorClass.PERMANENT);
    expect(classifyAwsError('boom')).toBe(AwsErrorClass.PERMANENT);
    expect(classifyAwsError(undefined)).toBe(AwsErrorClass.PERMANENT);
  });
});
