/** Structured log lines with Powertools Logger's fields, from both hosts. */
import { describe, expect, it } from 'vitest';
import { createSqsHandler } from '../../../src/lambda/create-sqs-handler.js';
import { jsonLog, xrayTraceId } from '../../../src/monitoring/json-log.js';
import { memoryApp } from '../../helpers/memory-app.js';

describe('JSON log lines', () => {
  it("carry Powertools Logger's level, message, timestamp and service, and the moment's fields", () => {
    const lines: string[] = [];
    const log = jsonLog({
      service: 'orders',
      write: (line) => lines.push(line),
      now: () => Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      fields: () => ({ function_request_id: 'r-1' }),
    });
    log('worker celeriac@host consuming celery');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        level: 'INFO',
        message: 'worker celeriac@host consuming celery',
        timestamp: '2026-01-02T03:04:05.006Z',
        service: 'orders',
        function_request_id: 'r-1',
      },
    ]);
  });

  it('reads the X-Ray trace id from _X_AMZN_TRACE_ID', () => {
    expect(
      xrayTraceId({ _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f;Sampled=1' }),
    ).toBe('1-5759e988-bd862e3fe1be46a994272793');
    expect(xrayTraceId({})).toBeUndefined();
  });

  it('are what the Lambda handler writes with logFormat json, with the invocation and cold start', async () => {
    const fx = memoryApp({
      name: 'shop',
      queueUrls: { celery: 'memory://celery' },
      events: { logFormat: 'json' },
    });
    fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const written: string[] = [];
    {
      const handler = createSqsHandler(fx.app, { stdout: (line) => written.push(line) });
      for (const requestId of ['r-1', 'r-2']) {
        await fx.app.sendTask('tasks.add', [1, 2]);
        const [message] = await fx.receiveAll();
        if (!message) throw new Error('no message');
        await handler(
          {
            Records: [
              {
                messageId: message.messageId,
                receiptHandle: message.receiptHandle,
                body: message.body,
                attributes: {},
                messageAttributes: {},
                eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:celery',
              },
            ],
          },
          { getRemainingTimeInMillis: () => 60_000, awsRequestId: requestId, functionName: 'worker' },
        );
      }
    }
    const lines = written.map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      service: 'shop',
      cold_start: true,
      function_name: 'worker',
      function_request_id: 'r-1',
      message: expect.stringContaining('tasks.add'),
    });
    expect(lines[1]).toMatchObject({ cold_start: false, function_request_id: 'r-2' });
  });

  it('write a failed task at ERROR, a retried one at WARN and a success at INFO', async () => {
    const fx = memoryApp({
      name: 'shop',
      queueUrls: { celery: 'memory://celery' },
      events: { logFormat: 'json' },
    });
    fx.app.task('tasks.add', (a: number, b: number) => a + b);
    fx.app.task('tasks.boom', () => {
      throw new TypeError('boom');
    });
    fx.app.task('tasks.later', function (this) {
      throw this.retry({ countdown: 5 });
    });
    const written: string[] = [];
    const handler = createSqsHandler(fx.app, { stdout: (line) => written.push(line) });
    for (const name of ['tasks.add', 'tasks.boom', 'tasks.later']) await fx.app.sendTask(name, [1, 2]);
    const records = (await fx.receiveAll()).map((message) => ({
      messageId: message.messageId,
      receiptHandle: message.receiptHandle,
      body: message.body,
      attributes: {},
      messageAttributes: {},
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:celery',
    }));
    await handler(
      { Records: records },
      { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'r', functionName: 'w' },
    );
    const levels = Object.fromEntries(
      written
        .map((line) => JSON.parse(line) as { level: string; message: string })
        .map((l) => [l.message.split(' ')[2], l.level]),
    );
    expect(levels).toEqual({ 'tasks.add': 'INFO', 'tasks.boom': 'ERROR', 'tasks.later': 'WARN' });
  });
});
