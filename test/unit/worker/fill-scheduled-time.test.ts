/**
 * A periodic firing delivered with its scheduled-time placeholder left as it is (as MiniStack delivers EventBridge
 * Scheduler's input): the worker fills the slot in from the time SQS received the message, so each slot runs once,
 * not only the first.
 */
import { describe, expect, it } from 'vitest';
import { every } from '../../../src/beat/every.js';
import { SCHEDULED_TIME_PLACEHOLDER } from '../../../src/config/schedule-definition.js';
import { executeMessage } from '../../../src/worker/execute-message.js';
import { fillScheduledTime } from '../../../src/worker/fill-scheduled-time.js';
import { memoryApp } from '../../helpers/memory-app.js';

describe('an unsubstituted scheduled time', () => {
  it('becomes the minute SQS received the message, as EventBridge Scheduler writes it', () => {
    const body = `{"id": "tick-${SCHEDULED_TIME_PLACEHOLDER}", "root": "tick-${SCHEDULED_TIME_PLACEHOLDER}"}`;
    expect(fillScheduledTime(body, Date.parse('2026-11-21T04:00:07.300Z'))).toBe(
      '{"id": "tick-2026-11-21T04:00:00Z", "root": "tick-2026-11-21T04:00:00Z"}',
    );
    expect(fillScheduledTime(body, undefined)).toBe(body);
    expect(fillScheduledTime('{"id": "t-1"}', Date.now())).toBe('{"id": "t-1"}');
  });

  it('lets every slot of a schedule run once, each under its own task id', async () => {
    const fx = memoryApp();
    const ran: string[] = [];
    fx.app.task('tasks.tick', function () {
      ran.push(this.taskId);
    });
    fx.app.periodic('tick', { task: 'tasks.tick', schedule: every({ minutes: 1 }) });
    const [definition] = fx.app.scheduleDefinitions();
    if (!definition) throw new Error('no schedule');
    const deliver = (sentAt: string, messageId: string) =>
      executeMessage(
        {
          messageId,
          receiptHandle: `r-${messageId}`,
          body: definition.input,
          receiveCount: 1,
          queueUrl: fx.queueUrl,
          attributes: {},
          sentTimestampMs: Date.parse(sentAt),
        },
        fx.context(),
      );
    expect(await deliver('2026-11-21T04:00:01Z', 'm1')).toMatchObject({ state: 'SUCCESS' });
    expect(await deliver('2026-11-21T04:01:02Z', 'm2')).toMatchObject({ state: 'SUCCESS' });
    // A second delivery of the first slot is the same task: refused as a duplicate.
    expect(await deliver('2026-11-21T04:00:30Z', 'm3')).toMatchObject({ state: 'DUPLICATE' });
    expect(ran).toEqual(['tick-2026-11-21T04:00:00Z', 'tick-2026-11-21T04:01:00Z']);
  });
});
