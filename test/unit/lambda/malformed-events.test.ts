/**
 * The Lambda handler given what a direct invocation (or a hostile sender's message) can put in an event: no
 * record crashes the batch, each refused record is reported as a batch item failure with a line saying what was
 * wrong, and an event that cannot be answered record by record fails before anything runs.
 */
import { describe, expect, it } from 'vitest';
import { createSqsHandler } from '../../../src/lambda/create-sqs-handler.js';
import type { SqsEvent, SqsRecord } from '../../../src/lambda/sqs-event.js';
import { memoryApp } from '../../helpers/memory-app.js';

const ARN = 'arn:aws:sqs:us-east-1:123456789012:celery';
const context = { getRemainingTimeInMillis: () => 60_000 };

/** An app with `tasks.add`, its handler, and records for `count` calls of it as the mapping would send them. */
async function setup(count = 1, log?: (line: string) => void) {
  const fx = memoryApp({ queueUrls: { celery: 'memory://celery' } });
  let runs = 0;
  fx.app.task('tasks.add', (a: number, b: number) => {
    runs++;
    return a + b;
  });
  const results = await fx.app.sendTasks(
    Array.from({ length: count }, (_, i) => ({ name: 'tasks.add', args: [i, 1] })),
  );
  const records: SqsRecord[] = (await fx.receiveAll()).map((m) => ({
    messageId: m.messageId,
    receiptHandle: m.receiptHandle,
    body: m.body,
    attributes: { ApproximateReceiveCount: '1' },
    messageAttributes: {},
    eventSourceARN: ARN,
  }));
  const lines: string[] = [];
  const handler = createSqsHandler(fx.app, { log: log ?? ((line) => lines.push(line)) });
  const invoke = (event: unknown) => handler(event as SqsEvent, context);
  return { fx, results, records, lines, invoke, runs: () => runs };
}

describe('an event that is not an SQS event', () => {
  it.each([
    ['no event', () => undefined, 'the event is missing, not an object with Records'],
    ['no Records', () => ({}), 'its Records is missing, not an array'],
    ['Records not an array', () => ({ Records: { 0: {} } }), 'its Records is an object, not an array'],
    // A good record beside the bad one is not run either: the whole batch comes back.
    [
      'a record that is null',
      (good: SqsRecord) => ({ Records: [good, null] }),
      'Records[1] is null, not a record',
    ],
    [
      'a record without a messageId',
      (good: SqsRecord) => ({ Records: [good, { ...good, messageId: undefined }] }),
      'Records[1] has a messageId that is missing, so it cannot be reported as a batch item failure',
    ],
  ])('fails before running a record, saying why: %s', async (_, event, why) => {
    const s = await setup();
    const expected = `not an SQS event: ${why}; no record was run`;
    await expect(s.invoke(event(s.records[0] as SqsRecord))).rejects.toThrow(expected);
    expect(s.lines).toEqual([expected]);
    expect(s.runs()).toBe(0);
  });
});

describe('a malformed record', () => {
  it.each([
    ['a body that is not a string', { body: { task: 'tasks.add' } }, 'its body is an object, not a string'],
    ['no body', { body: undefined }, 'its body is missing, not a string'],
    [
      'no eventSourceARN',
      { eventSourceARN: undefined },
      'its eventSourceARN is missing, not an SQS queue ARN',
    ],
    [
      'an ARN that is not a queue',
      { eventSourceARN: 'celery' },
      'its eventSourceARN "celery" is not an SQS queue ARN',
    ],
    ['attributes that are not an object', { attributes: 'x' }, 'its attributes is a string, not an object'],
    [
      'a message attribute that is null',
      { messageAttributes: { trace: null } },
      'its message attribute "trace" is null, not an object',
    ],
    [
      'a binaryValue that is not base64 text',
      { messageAttributes: { blob: { dataType: 'Binary', binaryValue: 5 } } },
      'the binaryValue of its message attribute "blob" is a number, not a string',
    ],
    [
      'a dataType that is not a string',
      { messageAttributes: { n: { dataType: 7, stringValue: '1' } } },
      'the dataType of its message attribute "n" is a number, not a string',
    ],
  ])('is reported on its own, with what is wrong: %s', async (_, change, why) => {
    const s = await setup(2);
    const [bad, good] = s.records as [SqsRecord, SqsRecord];
    const response = await s.invoke({ Records: [{ ...bad, ...change }, good] });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: bad.messageId }]);
    expect(s.lines).toContainEqual(
      `task - - INVALID [reject] message ${bad.messageId}: malformed SQS record: ${why} ` +
        '(left on the queue: after maxReceiveCount deliveries it moves to the dead-letter queue)',
    );
    expect(await s.results[1]?.get({ timeoutMs: 1000 })).toBe(2);
    expect(s.runs()).toBe(1);
  });

  it('runs with no system attributes, an unreadable receive count or sent time, or from a queue the app does not map', async () => {
    const s = await setup(4);
    const [a, b, c, d] = s.records as [SqsRecord, SqsRecord, SqsRecord, SqsRecord];
    const response = await s.invoke({
      Records: [
        { ...a, attributes: undefined },
        { ...b, attributes: { ApproximateReceiveCount: 'many' } },
        { ...c, attributes: { ApproximateReceiveCount: '1', SentTimestamp: 'soon' } },
        { ...d, eventSourceARN: 'arn:aws:sqs:eu-west-1:210987654321:elsewhere' },
      ],
    });
    expect(response.batchItemFailures).toEqual([]);
    expect(await Promise.all(s.results.map((r) => r.get({ timeoutMs: 1000 })))).toEqual([1, 2, 3, 4]);
  });
});

describe('a batch', () => {
  it('names a message id delivered twice in it once', async () => {
    const s = await setup(0);
    const copy = (receiptHandle: string): SqsRecord => ({
      messageId: 'm-twice',
      receiptHandle,
      body: 'not a celery message',
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
      eventSourceARN: ARN,
    });
    const response = await s.invoke({ Records: [copy('r-1'), copy('r-2')] });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-twice' }]);
  });

  it('of 10,000 undecodable records reports each once, in order', async () => {
    const s = await setup(0);
    const records = Array.from({ length: 10_000 }, (_, i) => ({
      messageId: `m-${i}`,
      receiptHandle: `r-${i}`,
      body: 'not a celery message',
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
      eventSourceARN: ARN,
    }));
    const response = await s.invoke({ Records: records });
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(records.map((r) => r.messageId));
    expect(s.lines.filter((line) => line.includes(' INVALID '))).toHaveLength(10_000);
  });

  it('of several MiB refuses the body with a short line and runs the rest', async () => {
    const s = await setup(1);
    const huge = { ...(s.records[0] as SqsRecord), messageId: 'm-huge', body: 'x'.repeat(5 * 1024 * 1024) };
    const response = await s.invoke({ Records: [huge, s.records[0]] });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-huge' }]);
    const line = s.lines.find((l) => l.includes('m-huge'));
    expect(line).toMatch(/INVALID .*\[reject\] message m-huge: DecodeError/);
    expect(line?.length).toBeLessThan(1000);
    expect(s.runs()).toBe(1);
  });

  it('survives a log sink that throws', async () => {
    const s = await setup(1, () => {
      throw new Error('log sink down');
    });
    const [good] = s.records as [SqsRecord];
    const response = await s.invoke({ Records: [{ ...good, messageId: 'm-bad', body: 42 }, good] });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-bad' }]);
    expect(s.runs()).toBe(1);
  });
});
