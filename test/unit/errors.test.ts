/**
 * Every error takes `(message, { cause, ...fields })`, keeps a literal `name`, and where its message follows a
 * pattern a static factory builds it from the fields.
 */
import { describe, expect, it } from 'vitest';
import {
  BackendError,
  ClaimLost,
  ContentDisallowed,
  DecodeError,
  EncodeError,
  ImproperlyConfigured,
  InvalidOptionError,
  InvalidTaskError,
  isCeleriacError,
  LibraryNotLoaded,
  MaxRetriesExceededError,
  NotRegistered,
  PayloadTooLargeError,
  ResultTimeoutError,
  Retry,
  SoftTimeLimitExceeded,
  TaskError,
  TaskRevokedError,
  TimeLimitExceeded,
} from '../../src/errors.js';

const cause = new Error('underneath');

describe('error constructors', () => {
  it.each([
    [
      'ImproperlyConfigured',
      () => new ImproperlyConfigured('m', { cause, setting: 'resultTable' }),
      { setting: 'resultTable' },
    ],
    [
      'InvalidOptionError',
      () => new InvalidOptionError('m', { cause, option: 'countdown', value: -5 }),
      { option: 'countdown', value: -5 },
    ],
    ['NotRegistered', () => new NotRegistered('m', { cause, taskName: 'tasks.x' }), { taskName: 'tasks.x' }],
    [
      'ResultTimeoutError',
      () => new ResultTimeoutError('m', { cause, taskId: 't', timeoutMs: 5, state: 'PENDING' }),
      { taskId: 't', timeoutMs: 5, state: 'PENDING' },
    ],
    [
      'TaskRevokedError',
      () => new TaskRevokedError('m', { cause, taskId: 't', reason: 'expired' }),
      { taskId: 't', reason: 'expired' },
    ],
    [
      'SoftTimeLimitExceeded',
      () => new SoftTimeLimitExceeded('m', { cause, limitSeconds: 3 }),
      { limitSeconds: 3 },
    ],
    ['TimeLimitExceeded', () => new TimeLimitExceeded('m', { cause, limitSeconds: 3 }), { limitSeconds: 3 }],
    [
      'MaxRetriesExceededError',
      () => new MaxRetriesExceededError('m', { cause, taskId: 't', retries: 3 }),
      { taskId: 't', retries: 3 },
    ],
    [
      'BackendError',
      () => new BackendError('m', { cause, operation: 'SQS SendMessage', retryable: true }),
      { operation: 'SQS SendMessage', retryable: true },
    ],
    ['ClaimLost', () => new ClaimLost('m', { cause, taskId: 't' }), { taskId: 't' }],
    [
      'ContentDisallowed',
      () => new ContentDisallowed('m', { cause, contentType: 'application/x-python-serialize' }),
      { contentType: 'application/x-python-serialize' },
    ],
    [
      'DecodeError',
      () => new DecodeError('m', { cause, layer: 'envelope body' }),
      { layer: 'envelope body' },
    ],
    ['EncodeError', () => new EncodeError('m', { cause, path: 'args[0]' }), { path: 'args[0]' }],
    ['InvalidTaskError', () => new InvalidTaskError('m', { cause, taskId: 't' }), { taskId: 't' }],
    [
      'LibraryNotLoaded',
      () => new LibraryNotLoaded('m', { cause, packageName: 'yaml' }),
      { packageName: 'yaml' },
    ],
    [
      'PayloadTooLargeError',
      () => new PayloadTooLargeError('m', { cause, subject: 's', sizeBytes: 2, limitBytes: 1 }),
      { subject: 's', sizeBytes: 2, limitBytes: 1 },
    ],
    [
      'TaskError',
      () =>
        new TaskError('m', {
          cause,
          taskId: 't',
          excType: 'ValueError',
          excModule: 'builtins',
          excArgs: ['x'],
          remoteTraceback: null,
        }),
      { excType: 'ValueError', excArgs: ['x'] },
    ],
  ] as const)('%s keeps the message, the cause and its fields', (name, build, fields) => {
    const error = build();
    expect(error.name).toBe(name);
    expect(error.message).toBe('m');
    expect(error.cause).toBe(cause);
    expect(error).toMatchObject(fields);
    expect(isCeleriacError(error)).toBe(true);
  });

  it('builds the patterned messages through static factories', () => {
    expect(InvalidOptionError.expected('countdown', 'a number of seconds >= 0', -5).message).toBe(
      'Expected `countdown` to be a number of seconds >= 0, got -5',
    );
    expect(NotRegistered.forTask('tasks.x').message).toMatch(/^Task "tasks.x" is not registered/);
    expect(DecodeError.at('result meta', 'not JSON')).toMatchObject({
      message: 'Cannot decode result meta: not JSON',
      layer: 'result meta',
    });
    expect(BackendError.failed('DynamoDB GetItem', 'boom', false, { cause })).toMatchObject({
      message: 'DynamoDB GetItem failed: boom',
      retryable: false,
      cause,
    });
    expect(TimeLimitExceeded.after(30).message).toBe('Time limit (30 s) exceeded');
    expect(Retry.with({ exc: cause, countdown: 5 })).toMatchObject({
      message: 'Retry requested: underneath',
      cause,
      options: { countdown: 5 },
    });
  });
});
