/**
 * A rejected message can be found again: both hosts' log line for it names its SQS message id, so an operator can
 * match the line to the message in the dead-letter queue.
 */
import { describe, expect, it } from 'vitest';
import { createSqsHandler } from '../../../src/lambda/create-sqs-handler.js';
import type { SqsRecord } from '../../../src/lambda/sqs-event.js';
import { runWorker } from '../../../src/worker/run-worker.js';
import { memoryApp } from '../../helpers/memory-app.js';

function record(messageId: string, body: string): SqsRecord {
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1' },
    messageAttributes: {},
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:celery',
  };
}

describe('the log line of a rejected message', () => {
  it('names the SQS message id on the Lambda handler', async () => {
    const fx = memoryApp({ queueUrls: { celery: 'memory://celery' } });
    const lines: string[] = [];
    const handler = createSqsHandler(fx.app, { log: (line) => lines.push(line) });
    const response = await handler(
      { Records: [record('m-poison-1', 'not a celery message !')] },
      { getRemainingTimeInMillis: () => 60_000 },
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-poison-1' }]);
    expect(lines.find((line) => line.includes('INVALID'))).toMatch(
      /\[reject\] message m-poison-1: DecodeError/,
    );
  });

  it('names the SQS message id on celeriac worker', async () => {
    const fx = memoryApp();
    const [messageId] = await fx.transport.broker.send(fx.queueUrl, [{ body: 'not a celery message !' }]);
    const lines: string[] = [];
    const worker = runWorker(fx.app, { waitTimeSeconds: 0, log: (line) => lines.push(line) });
    for (let i = 0; i < 50 && !lines.some((line) => line.includes('INVALID')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await worker.stop();
    expect(lines.find((line) => line.includes('INVALID'))).toContain(`[reject] message ${messageId}: `);
  });
});
