import { describe, expect, it } from 'vitest';
import { parseDlqArgs } from '../../../src/cli/dlq-command.js';
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
  it('reads redrive with the dead-letter queue, a destination and a maximum', () => {
    expect(parseDlqArgs(['redrive', 'tasks-dlq', '--to', 'tasks', '--max', '25'])).toEqual({
      deadLetterQueue: 'tasks-dlq',
      to: 'tasks',
      maxMessages: 25,
    });
    expect(parseDlqArgs(['redrive', 'http://127.0.0.1:4566/000000000000/tasks-dlq'])).toEqual({
      deadLetterQueue: 'http://127.0.0.1:4566/000000000000/tasks-dlq',
      to: undefined,
      maxMessages: undefined,
    });
  });

  it('refuses a missing or unknown action, and a missing queue', () => {
    expect(message([])).toMatch(/^Name an action: celeriac dlq has redrive\n\nUsage: celeriac dlq redrive/);
    expect(message(['purge', 'q'])).toMatch(/^Unknown action "purge": celeriac dlq has redrive/);
    expect(message(['redrive'])).toMatch(/^Name the dead-letter queue \(its URL or name\)/);
    expect(message(['redrive', 'a', 'b'])).toBe('celeriac dlq redrive takes one queue, got also b');
  });

  it('refuses a maximum that is not a whole number of messages >= 1', () => {
    for (const max of ['0', '2.5', 'ten', '-3']) {
      expect(message(['redrive', 'q', `--max=${max}`])).toBe(
        `Expected --max to be an integer >= 1, got ${JSON.stringify(max)}`,
      );
    }
  });
});
