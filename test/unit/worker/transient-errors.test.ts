/**
 * What the worker does with each class of AWS error, through the real adapters on stubbed SDK clients: a
 * transient error (throttling, a 5xx, a reset connection, a timeout) leaves the message for redelivery and is
 * never stored as FAILURE; a permanent one fails the task with it when a FAILURE can still be stored, and
 * otherwise leaves the message too, so nothing is lost.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { DynamoDbResultStore } from '../../../src/aws/dynamodb-result-store.js';
import { SqsBroker } from '../../../src/aws/sqs-broker.js';
import { executeMessage } from '../../../src/worker/execute-message.js';
import { type MemoryAppFixture, memoryApp } from '../../helpers/memory-app.js';
import { serviceError, socketError, timeoutError } from '../aws/sdk-errors.js';

const quiet = (): void => undefined;

function failingClient<T>(error: unknown): T {
  return {
    send: async () => {
      throw error;
    },
  } as unknown as T;
}

const transient = {
  throttling: () => serviceError('ProvisionedThroughputExceededException', 400),
  'a 5xx': () => serviceError('InternalServerError', 500),
  ECONNRESET: () => socketError('ECONNRESET'),
  'a timeout': () => timeoutError(),
};

async function receiveOne(fx: MemoryAppFixture) {
  const [message] = await fx.receiveAll();
  if (!message) throw new Error('no message on the queue');
  return message;
}

/** Makes `complete` (storing the outcome) go through DynamoDB with a client that fails with `error`. */
function failStoring(fx: MemoryAppFixture, error: () => unknown): { restore(): void } {
  const results = fx.transport.results;
  const complete = results.complete.bind(results);
  const failing = new DynamoDbResultStore(failingClient<DynamoDBClient>(error()), { tableName: 'results' });
  results.complete = (request) => failing.complete(request);
  return { restore: () => (results.complete = complete) };
}

describe('the worker and transient AWS errors', () => {
  it.each(Object.entries(transient))(
    'leaves the message for redelivery when storing the outcome fails with %s, and runs it again later',
    async (_kind, error) => {
      const fx = memoryApp();
      let runs = 0;
      fx.app.task('tasks.add', (a: number, b: number) => {
        runs++;
        return a + b;
      });
      const result = await fx.app.sendTask('tasks.add', [2, 3]);
      const message = await receiveOne(fx);
      const store = failStoring(fx, error);
      const first = await executeMessage(message, fx.context({ leaseMs: 400, log: quiet }));
      expect(first).toMatchObject({ action: 'retry-later', state: 'UNRECORDED' });
      expect(first.reason).toMatch(/retryable/);
      expect(await result.state()).not.toBe('FAILURE');
      store.restore();
      // The claim was released: the redelivery runs the task and stores its result.
      const second = await executeMessage(message, fx.context({ log: quiet }));
      expect(second).toMatchObject({ action: 'delete', state: 'SUCCESS' });
      expect(await result.get({ timeoutMs: 100 })).toBe(5);
      expect(runs).toBe(2);
    },
  );

  it.each(Object.entries(transient))(
    'leaves the message for redelivery when sending a follow-up fails with %s, storing no FAILURE',
    async (_kind, error) => {
      const fx = memoryApp();
      const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
      const result = await add.applyAsync([2, 3], {}, { link: add.s(1) });
      const message = await receiveOne(fx);
      const failing = new SqsBroker(failingClient<SQSClient>(error()));
      fx.transport.broker.send = (url, messages) => failing.send(url, messages);
      const outcome = await executeMessage(message, fx.context({ leaseMs: 400, log: quiet }));
      expect(outcome).toMatchObject({ action: 'retry-later', state: 'UNRECORDED' });
      expect(await result.state()).not.toBe('FAILURE');
    },
  );

  it('tries a write again in place, so a throttle that passes costs no second run', async () => {
    const fx = memoryApp();
    let runs = 0;
    fx.app.task('tasks.add', (a: number, b: number) => {
      runs++;
      return a + b;
    });
    const result = await fx.app.sendTask('tasks.add', [2, 3]);
    const results = fx.transport.results;
    const complete = results.complete.bind(results);
    const failing = new DynamoDbResultStore(failingClient<DynamoDBClient>(transient.throttling()), {
      tableName: 'results',
    });
    let failures = 2;
    results.complete = (request) => (failures-- > 0 ? failing.complete(request) : complete(request));
    const outcome = await executeMessage(await receiveOne(fx), fx.context({ log: quiet }));
    expect(outcome).toMatchObject({ action: 'delete', state: 'SUCCESS' });
    expect(await result.get({ timeoutMs: 100 })).toBe(5);
    expect(runs).toBe(1);
  });
});

describe('the worker and permanent AWS errors', () => {
  it('fails the task with the error when a follow-up cannot be sent for good (a 4xx)', async () => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const result = await add.applyAsync([2, 3], {}, { link: add.s(1) });
    const message = await receiveOne(fx);
    const failing = new SqsBroker(failingClient<SQSClient>(serviceError('AccessDenied', 403)));
    fx.transport.broker.send = (url, messages) => failing.send(url, messages);
    const outcome = await executeMessage(message, fx.context({ log: quiet }));
    expect(outcome).toMatchObject({ action: 'delete', state: 'FAILURE' });
    await expect(result.get({ timeoutMs: 100 })).rejects.toThrow(/AccessDenied/);
  });

  it('keeps the message when not even FAILURE can be stored (a 4xx on the results table)', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.add', (a: number, b: number) => a + b);
    await fx.app.sendTask('tasks.add', [2, 3]);
    failStoring(fx, () => serviceError('AccessDeniedException', 400));
    const outcome = await executeMessage(await receiveOne(fx), fx.context({ log: quiet }));
    expect(outcome).toMatchObject({ action: 'retry-later', state: 'UNRECORDED' });
    expect(outcome.reason).toMatch(/AccessDeniedException/);
  });
});
