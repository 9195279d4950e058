/**
 * Scenario 5: poison of every kind among good tasks. Each undecodable message is refused on every delivery and
 * ends in the dead-letter queue after `maxReceiveCount`, with a logged reason that names its SQS message id; one
 * that names a task id also stores FAILURE with a typed reason. An unknown task name stores FAILURE
 * `NotRegistered` and is deleted; a `__proto__` key is plain data. The good tasks all succeed and the workers'
 * event loops never stall (their heartbeats keep running).
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { calls, createScenario, taskIdOf } from './helpers/fault-scenario.js';
import { PoisonFate, poisonMessages } from './helpers/poison-messages.js';

/** Short, so poison reaches the dead-letter queue within the test. */
const VISIBILITY_TIMEOUT_SECONDS = 3;

describe('fault scenario: poison of every kind', () => {
  it('dead-letters every poison message with a reason naming its message id, and the 60 good tasks succeed', async () => {
    const s = await createScenario('poison', {
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
      maxReceiveCount: 2,
      payloadBucket: true,
    });
    try {
      const poison = poisonMessages(s.bucket ?? '');
      const before = await s.send(calls(30, 'faults.quick', (i) => [i]));
      const sent: { kind: string; messageId: string; fate: PoisonFate; taskId?: string }[] = [];
      for (const p of poison) {
        const { MessageId = '' } = await s.sqs.send(
          new SendMessageCommand({
            QueueUrl: s.queueUrl,
            MessageBody: p.body,
            ...(p.attributes ? { MessageAttributes: p.attributes } : {}),
          }),
        );
        sent.push({
          kind: p.kind,
          messageId: MessageId,
          fate: p.fate,
          ...(p.taskId ? { taskId: p.taskId } : {}),
        });
      }
      const after = await s.send(calls(30, 'faults.quick', (i) => [30 + i]));
      await Promise.all([s.startWorker({ concurrency: 8 }), s.startWorker({ concurrency: 8 })]);

      const good = [...before, ...after];
      const states = await s.waitForFinal(good, 60_000);
      const deadLettered = sent.filter((p) => p.fate === PoisonFate.DeadLetter);
      const dlq = await s.deadLetters(
        deadLettered.map((p) => p.messageId),
        60_000,
      );
      const finals = await s.results();

      const report = sent.map((p) => ({
        kind: p.kind,
        messageId: p.messageId,
        inDeadLetterQueue: dlq.has(p.messageId),
        stored: p.taskId ? (finals.get(p.taskId) ?? null) : undefined,
        reasonLines: s.lines(new RegExp(p.messageId), 3),
      }));
      console.log(`[faults] ${s.name} poison outcomes ${JSON.stringify(report, null, 1)}`);
      console.log(
        `[faults] ${s.name} INVALID lines (sample)\n${s.lines(/INVALID|unexpected error/, 12).join('\n')}`,
      );

      // Every poison message in the DLQ, with a reason tied to its message id.
      expect
        .soft(
          deadLettered.filter((p) => !dlq.has(p.messageId)).map((p) => p.kind),
          'poison not in the DLQ',
        )
        .toEqual([]);
      expect
        .soft(
          deadLettered
            .filter((p) => !s.lines(new RegExp(p.messageId), 5).some((line) => /INVALID|reject/.test(line)))
            .map((p) => p.kind),
          'poison whose rejection no log line ties to its SQS message id',
        )
        .toEqual([]);
      // A rejection names a typed reason, never a raw runtime error.
      expect
        .soft(s.lines(/INVALID.*(RangeError|Maximum call stack)|unexpected error/, 5), 'untyped rejections')
        .toEqual([]);
      // One that names a task id stores FAILURE, so a waiting caller learns why.
      expect
        .soft(
          deadLettered
            .filter((p) => p.taskId && finals.get(p.taskId)?.status !== 'FAILURE')
            .map((p) => ({ kind: p.kind, stored: p.taskId ? finals.get(p.taskId) : undefined })),
          'poison naming a task id without a stored FAILURE',
        )
        .toEqual([]);
      const unknown = sent.find((p) => p.fate === PoisonFate.NotRegistered);
      expect
        .soft(unknown?.taskId ? finals.get(unknown.taskId) : undefined)
        .toMatchObject({ status: 'FAILURE', excType: 'NotRegistered' });
      expect
        .soft(unknown && dlq.has(unknown.messageId), 'the unknown task name is deleted, not dead-lettered')
        .toBe(false);
      const proto = sent.find((p) => p.fate === PoisonFate.Runs);
      const goodIds = new Set(good);
      const goodInDlq = [...dlq.values()].map(taskIdOf).filter((id) => id !== undefined && goodIds.has(id));
      console.log(`[faults] ${s.name} good tasks' messages in the DLQ: ${goodInDlq.length}`);
      expect
        .soft(goodInDlq, 'good tasks whose message ended in the DLQ (redelivered while a stall held them)')
        .toEqual([]);
      expect
        .soft(
          proto && dlq.has(proto.messageId),
          'the "__proto__" task runs and is deleted, not dead-lettered',
        )
        .toBe(false);
      expect
        .soft(proto?.taskId ? finals.get(proto.taskId) : undefined, 'a "__proto__" key is plain data')
        .toMatchObject({ status: 'SUCCESS', result: { inheritedIsAdmin: false, prototypeIsPlain: true } });

      const figures = s.check(good, states);
      // The heartbeat extends a running message's visibility every half visibility timeout: a stall shorter than
      // that cannot let one lapse. (Refusing a decompression bomb still inflates up to maxPayloadBytes first.)
      expect
        .soft(figures.sideLog.maxLagMs, 'longest event-loop stall in a worker, ms')
        .toBeLessThan((VISIBILITY_TIMEOUT_SECONDS * 1000) / 2);
    } finally {
      await s.stop();
    }
  });
});
