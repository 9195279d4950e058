/** Task metrics from the Lambda handler as CloudWatch Embedded Metric Format documents. */
import { describe, expect, it } from 'vitest';
import { createSqsHandler } from '../../../src/lambda/create-sqs-handler.js';
import type { SqsRecord } from '../../../src/lambda/sqs-event.js';
import { EmfBatch } from '../../../src/monitoring/emf-metrics.js';
import { memoryApp } from '../../helpers/memory-app.js';

describe('EMF task metrics', () => {
  it('writes one document per task name per batch (one for all unregistered names): counts, failures, retries, durations and queue waits', async () => {
    const fx = memoryApp({ queueUrls: { celery: 'memory://celery' }, events: { emfMetrics: true } });
    fx.app.task('tasks.add', (a: number, b: number) => a + b);
    fx.app.task('tasks.boom', () => {
      throw new TypeError('boom');
    });
    fx.app.task('tasks.flaky', function (this) {
      throw this.retry({ countdown: 60 });
    });
    await fx.app.sendTasks([
      { name: 'tasks.add', args: [1, 2] },
      { name: 'tasks.add', args: [3, 4] },
      { name: 'tasks.boom' },
      { name: 'tasks.flaky' },
      // Names no task has, as a hostile sender would mint them.
      { name: 'tasks.nobody-1' },
      { name: `tasks.${'x'.repeat(2000)}` },
    ]);
    const sentAtMs = Date.now() - 1500;
    const records: SqsRecord[] = (await fx.receiveAll()).map((message) => ({
      messageId: message.messageId,
      receiptHandle: message.receiptHandle,
      body: message.body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(sentAtMs) },
      messageAttributes: {},
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:celery',
    }));
    const lines: string[] = [];
    const handler = createSqsHandler(fx.app, {
      log: () => undefined,
      stdout: (line) => lines.push(line),
    });
    await handler({ Records: records }, { getRemainingTimeInMillis: () => 60_000 });
    const documents = lines.map((line) => JSON.parse(line));
    const byTask = Object.fromEntries(documents.map((doc) => [doc.task, doc]));
    expect(Object.keys(byTask).sort()).toEqual(['(unregistered)', 'tasks.add', 'tasks.boom', 'tasks.flaky']);
    expect(byTask['(unregistered)']).toMatchObject({ Tasks: 2, Failures: 2, Retries: 0 });
    expect(byTask['tasks.add']).toMatchObject({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: 'celeriac',
            Dimensions: [['task'], ['queue']],
            Metrics: [
              { Name: 'Tasks', Unit: 'Count' },
              { Name: 'Failures', Unit: 'Count' },
              { Name: 'Retries', Unit: 'Count' },
              { Name: 'Duration', Unit: 'Milliseconds' },
              { Name: 'QueueWait', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      queue: 'celery',
      Tasks: 2,
      Failures: 0,
      Retries: 0,
    });
    expect(byTask['tasks.add'].Duration).toHaveLength(2);
    for (const wait of byTask['tasks.add'].QueueWait) expect(wait).toBeGreaterThanOrEqual(1500);
    expect(byTask['tasks.boom']).toMatchObject({ Tasks: 1, Failures: 1, Retries: 0 });
    expect(byTask['tasks.flaky']).toMatchObject({ Tasks: 1, Failures: 0, Retries: 1 });
  });

  it('writes nothing when off', async () => {
    const fx = memoryApp({ queueUrls: { celery: 'memory://celery' } });
    fx.app.task('tasks.add', (a: number, b: number) => a + b);
    await fx.app.sendTask('tasks.add', [1, 2]);
    const [message] = await fx.receiveAll();
    if (!message) throw new Error('no message');
    const lines: string[] = [];
    const handler = createSqsHandler(fx.app, {
      log: () => undefined,
      stdout: (line) => lines.push(line),
    });
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
      { getRemainingTimeInMillis: () => 60_000 },
    );
    expect(lines).toEqual([]);
  });

  it('splits a metric of more than 100 values over documents, counting the tasks once', () => {
    const batch = new EmfBatch();
    for (let i = 0; i < 250; i++) batch.add({ taskName: 't', state: 'SUCCESS', runtimeMs: i });
    batch.add({ taskName: 't', state: 'BUSY', runtimeMs: 1 });
    const documents = batch.render('ns', 0).map((line) => JSON.parse(line));
    expect(documents.map((doc) => doc.Duration.length)).toEqual([100, 100, 50]);
    expect(documents.map((doc) => doc.Tasks)).toEqual([250, undefined, undefined]);
    expect(documents.map((doc) => doc._aws.CloudWatchMetrics[0].Dimensions)).toEqual([
      [['task']],
      [['task']],
      [['task']],
    ]);
  });

  it('keeps one task name of two queues apart, each document with its queue dimension', () => {
    const batch = new EmfBatch();
    batch.add({ taskName: 't', queueName: 'a', state: 'SUCCESS' });
    batch.add({ taskName: 't', queueName: 'b', state: 'FAILURE' });
    batch.add({ taskName: 't', queueName: 'b', state: 'SUCCESS' });
    const documents = batch.render('ns', 0).map((line) => JSON.parse(line));
    expect(documents.map((doc) => [doc.queue, doc.task, doc.Tasks, doc.Failures])).toEqual([
      ['a', 't', 1, 0],
      ['b', 't', 2, 1],
    ]);
    for (const doc of documents) {
      expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([['task'], ['queue']]);
    }
  });
});
