import { describe, expect, it } from 'vitest';
import { formatDeadLetter, parseDlqArgs } from '../../../src/cli/dlq-command.js';
import { UsageError } from '../../../src/cli/usage-error.js';

const message = (argv: string[]): string => {
  try {
    parseDlqArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`${argv.join(' ')} parsed without an error`);
};

describe('celeriac dlq: its command line', () => {
  it('reads redrive with the dead-letter queue, message ids, a destination and a maximum', () => {
    expect(
      parseDlqArgs(['redrive', 'tasks-dlq', '--to', 'tasks', '--max', '25', '--id', 'a', '--id', 'b']),
    ).toMatchObject({
      action: 'redrive',
      queues: ['tasks-dlq'],
      to: 'tasks',
      max: 25,
      messageIds: ['a', 'b'],
    });
    expect(parseDlqArgs(['list'])).toMatchObject({ action: 'list', queues: [], messageIds: undefined });
    expect(parseDlqArgs(['list', 'celery', 'reports', '--json'])).toMatchObject({
      queues: ['celery', 'reports'],
      json: true,
    });
    expect(parseDlqArgs(['delete', 'q', '--all', '--force'])).toMatchObject({
      action: 'delete',
      all: true,
      force: true,
    });
  });

  it('refuses a missing or unknown action, a missing queue, and delete without --id or --all', () => {
    expect(message([])).toMatch(
      /^Name an action: celeriac dlq has list, show, redrive, delete\n\nUsage: celeriac dlq/,
    );
    expect(message(['purge', 'q'])).toMatch(/^Unknown action "purge"/);
    expect(message(['redrive'])).toMatch(/^Name the dead-letter queue \(its URL or name\)/);
    expect(message(['show', 'a', 'b'])).toBe('celeriac dlq show takes one queue, got also b');
    expect(message(['delete', 'q'])).toMatch(/needs --id <message id> \(one or more\) or --all/);
    expect(message(['delete', 'q', '--all', '--id', 'x'])).toMatch(/needs --id .* or --all, not both/);
    expect(message(['show', 'q', '--all'])).toMatch(/--all is for delete/);
  });

  it('refuses a maximum that is not a whole number of messages >= 1', () => {
    for (const max of ['0', '2.5', 'ten', '-3']) {
      expect(message(['redrive', 'q', `--max=${max}`])).toBe(
        `Expected --max to be an integer >= 1, got ${JSON.stringify(max)}`,
      );
    }
  });

  it('formats a Celery dead letter with its stored FAILURE, and a foreign one raw with its decode error', () => {
    const task = formatDeadLetter({
      messageId: 'm-1',
      receiveCount: 4,
      sentAt: '2030-01-01T00:00:00.000Z',
      sourceArn: null,
      task: { id: 't-1', name: 'tasks.boom', args: [1, 'x'], kwargs: { k: true }, retries: 0, eta: null },
      stored: {
        state: 'FAILURE',
        result: { exc_type: 'TypeError', exc_message: ['boom'] },
        traceback: 'Traceback\n  line',
      },
    });
    expect(task.split('\n')).toEqual([
      'message m-1 (received 4 times, sent 2030-01-01T00:00:00.000Z)',
      '  task     tasks.boom[t-1]',
      '  args     [1,"x"]  kwargs {"k":true}',
      '  stored   FAILURE {"exc_type":"TypeError","exc_message":["boom"]}',
      '    Traceback',
      '      line',
    ]);
    const raw = formatDeadLetter({
      messageId: 'm-2',
      receiveCount: 1,
      sentAt: null,
      sourceArn: null,
      raw: 'hello',
      decodeError: 'MessageDecodeError: not JSON',
    });
    expect(raw).toBe(
      'message m-2 (received 1 times, sent at an unknown time)\n  not a Celery task message: MessageDecodeError: not JSON\n  raw      hello',
    );
  });
});
