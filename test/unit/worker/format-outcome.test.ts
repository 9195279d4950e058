/**
 * The one text line per message: whatever a message's task name or an error says, it stays one line, so it
 * cannot forge another task's outcome in the log nor move a terminal's cursor.
 */
import { describe, expect, it } from 'vitest';
import { formatOutcome } from '../../../src/worker/format-outcome.js';
import { MessageState } from '../../../src/worker/message-outcome.js';

describe('formatOutcome', () => {
  it('prints a plain run as Celery-like fields', () => {
    expect(
      formatOutcome({
        action: 'delete',
        taskId: 't-1',
        taskName: 'tasks.add',
        state: MessageState.SUCCESS,
        runtimeMs: 12,
      }),
    ).toBe('task t-1 tasks.add SUCCESS 12ms');
  });

  it('escapes line breaks and control characters from the message, keeping the line one line', () => {
    const line = formatOutcome(
      {
        action: 'reject',
        taskId: 't-2',
        taskName: 'evil\ntask t3 tasks.pay SUCCESS 1ms\u001b[2J',
        state: MessageState.FAILURE,
        reason: 'NotRegistered\r\u2028\u0085\tend',
      },
      { messageId: 'm-1' },
    );
    expect(line).toBe(
      'task t-2 evil\\ntask t3 tasks.pay SUCCESS 1ms\\x1b[2J FAILURE [reject] message m-1: NotRegistered\\r\\u2028\\x85\\tend',
    );
    expect(line.split('\n')).toHaveLength(1);
  });
});
