/**
 * What an adapter method throws when its SDK call fails: a BackendError whose `retryable` follows the SDK's
 * classification, so the worker leaves a message for redelivery after a transient error instead of storing
 * FAILURE. The clients are stubs whose `send` throws SDK-shaped errors.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { DynamoDbResultStore } from '../../../src/aws/dynamodb-result-store.js';
import { S3PayloadStore } from '../../../src/aws/s3-payload-store.js';
import { SqsBroker } from '../../../src/aws/sqs-broker.js';
import { BackendError } from '../../../src/errors.js';
import { serviceError, socketError, timeoutError } from './sdk-errors.js';

/** A client stub whose every call fails with `error`. */
function failingClient<T>(error: unknown): T {
  return {
    send: async () => {
      throw error;
    },
  } as unknown as T;
}

const NOW = 1_800_000_000_000;

const operations = {
  'DynamoDbResultStore.claim': (error: unknown) =>
    new DynamoDbResultStore(failingClient<DynamoDBClient>(error), { tableName: 'results' }).claim({
      taskId: 't-1',
      owner: 'worker:m-1:receipt-1',
      attempt: 0,
      leaseMs: 60_000,
      nowMs: NOW,
    }),
  'DynamoDbResultStore.complete': (error: unknown) =>
    new DynamoDbResultStore(failingClient<DynamoDBClient>(error), { tableName: 'results' }).complete({
      taskId: 't-1',
      owner: 'worker:m-1:receipt-1',
      attempt: 0,
      meta: undefined,
      state: 'SUCCESS',
      nowMs: NOW,
    }),
  'SqsBroker.send': (error: unknown) =>
    new SqsBroker(failingClient<SQSClient>(error)).send('https://sqs.us-east-1.amazonaws.com/1/celery', [
      { body: 'e30=' },
    ]),
  'S3PayloadStore.get': (error: unknown) =>
    new S3PayloadStore(failingClient<S3Client>(error), { bucket: 'payloads', prefix: 'celeriac/' }).get(
      { bucket: 'payloads', key: 'celeriac/t-1/message.json' },
      { maxBytes: 1024 },
    ),
} as const;

const cases: readonly [string, () => unknown, boolean][] = [
  ['throttling (ThrottlingException)', () => serviceError('ThrottlingException', 400), true],
  ['KMS throttling (KmsThrottled)', () => serviceError('KmsThrottled', 400), true],
  ['HTTP 429 (TooManyRequestsException)', () => serviceError('TooManyRequestsException', 429), true],
  ['a 5xx (InternalServerError)', () => serviceError('InternalServerError', 500), true],
  ['a 503 (ServiceUnavailable)', () => serviceError('ServiceUnavailable', 503), true],
  ['a reset connection (ECONNRESET)', () => socketError('ECONNRESET'), true],
  ['a refused connection (ECONNREFUSED)', () => socketError('ECONNREFUSED'), true],
  ['a timeout (TimeoutError)', () => timeoutError(), true],
  ['a request timeout (RequestTimeout)', () => serviceError('RequestTimeout', 400), true],
  ['a permanent 4xx (AccessDeniedException)', () => serviceError('AccessDeniedException', 400), false],
  ['a permanent 4xx (ValidationException)', () => serviceError('ValidationException', 400), false],
  [
    'a permanent 4xx (ResourceNotFoundException)',
    () => serviceError('ResourceNotFoundException', 400),
    false,
  ],
  ['a permanent 4xx (QueueDoesNotExist)', () => serviceError('QueueDoesNotExist', 400), false],
];

describe.each(Object.entries(operations))('%s when its SDK call fails', (_name, operation) => {
  it.each(cases)('with %s: BackendError, retryable %s', async (_label, makeError, retryable) => {
    const error = makeError();
    const failure = await operation(error).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(failure).toBeInstanceOf(BackendError);
    expect(failure).toMatchObject({ retryable, cause: error });
    expect((failure as BackendError).message).toContain((error as Error).message);
  });
});

describe('SqsBroker.send with a batch whose entries fail', () => {
  const batchClient = (failed: { Code: string; SenderFault: boolean }[]) =>
    ({
      send: async () => ({
        Successful: [],
        Failed: failed.map((f, index) => ({ Id: String(index), Message: 'no', ...f })),
      }),
    }) as unknown as SQSClient;
  const messages = [{ body: 'a' }, { body: 'b' }];

  it('is retryable when every entry failed on the service’s side or was throttled', async () => {
    const broker = new SqsBroker(
      batchClient([
        { Code: 'KmsThrottled', SenderFault: true },
        { Code: 'InternalError', SenderFault: false },
      ]),
    );
    await expect(broker.send('https://q', messages)).rejects.toMatchObject({ retryable: true });
  });

  it('is permanent when an entry was refused as the sender’s fault', async () => {
    const broker = new SqsBroker(
      batchClient([
        { Code: 'InvalidParameterValue', SenderFault: true },
        { Code: 'InternalError', SenderFault: false },
      ]),
    );
    await expect(broker.send('https://q', messages)).rejects.toMatchObject({ retryable: false });
  });
});

describe('DynamoDbResultStore when the role lacks the call', () => {
  it('says which ResultStore grant gives each use, for a producer saving a chord or revoking', async () => {
    const store = new DynamoDbResultStore(
      failingClient<DynamoDBClient>(serviceError('AccessDeniedException', 400)),
      { tableName: 'results' },
    );
    const failure = await store.saveGroup('g-1', ['t-1', 't-2'], NOW).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(failure).toBeInstanceOf(BackendError);
    expect((failure as BackendError).message).toMatch(
      /PutItem\(results\) group.*This role may not make that call on "results"\. .*grantSaveGroupsAndRevoke \(chords, saved groups, revoke; CallerFunction `savesGroupsAndRevokes`\)/s,
    );
  });
});
