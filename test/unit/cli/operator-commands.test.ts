/** The command lines of celeriac call, result, purge and status, and how they print. */
import { describe, expect, it } from 'vitest';
import { parseCallArgs, parseCallArgument } from '../../../src/cli/call-command.js';
import { ProgressLine, progressText } from '../../../src/cli/cli-output.js';
import { parsePurgeArgs } from '../../../src/cli/purge-command.js';
import { NO_SUCH_TASK, taskOutcomeError } from '../../../src/cli/result-command.js';
import { formatStatus } from '../../../src/cli/status-command.js';
import { UsageError } from '../../../src/cli/usage-error.js';

const usage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error('parsed without an error');
};

describe('celeriac call: its command line', () => {
  it('reads each argument as JSON when it parses, else as the string', () => {
    expect(
      ['2', '2.5', 'true', 'null', '[1,2]', '{"a":1}', '"quoted"', 'hello', '1e3x'].map(parseCallArgument),
    ).toEqual([2, 2.5, true, null, [1, 2], { a: 1 }, 'quoted', 'hello', '1e3x']);
  });

  it('reads the task, args, kwargs, countdown, queue, wait and timeout', () => {
    const parsed = parseCallArgs([
      'tasks.add',
      '2',
      'x',
      '--kwargs',
      '{"k":[1]}',
      '--countdown',
      '5',
      '-Q',
      'hi',
      '--wait',
      '--timeout',
      '3',
      '--json',
    ]);
    expect(parsed).toEqual({
      request: { name: 'tasks.add', args: [2, 'x'], kwargs: { k: [1] }, countdown: 5, queue: 'hi' },
      wait: true,
      timeoutMs: 3000,
      app: undefined,
      json: true,
    });
    expect(parseCallArgs(['tasks.add', '-1', '--queue', 'q', '2', '-2.5', '--', '--x']).request).toEqual({
      name: 'tasks.add',
      args: [-1, 2, -2.5, '--x'],
      kwargs: {},
      queue: 'q',
    });
    expect(parseCallArgs(['t', '--eta', '2030-01-01T09:00:00Z']).request.eta?.toISOString()).toBe(
      '2030-01-01T09:00:00.000Z',
    );
  });

  it('refuses what it cannot send, saying what to type', () => {
    expect(usage(() => parseCallArgs([]))).toMatch(
      /^Name the task to call, e.g. celeriac call tasks.add 2 3/,
    );
    expect(usage(() => parseCallArgs(['t', '--kwargs', '[1]']))).toMatch(
      /Expected --kwargs to be a JSON object such as/,
    );
    expect(usage(() => parseCallArgs(['t', '--kwargs', '{']))).toMatch(
      /Expected --kwargs to be a JSON object, got "\{"/,
    );
    expect(usage(() => parseCallArgs(['t', '--countdown', '-1']))).toBe(
      'Expected --countdown to be a number of seconds >= 0, got "-1"',
    );
    expect(usage(() => parseCallArgs(['t', '--eta', 'tomorrow']))).toMatch(
      /Expected --eta to be an ISO 8601 time/,
    );
    expect(usage(() => parseCallArgs(['t', '--eta', '2030-01-01', '--countdown', '1']))).toBe(
      'Give --countdown or --eta, not both',
    );
    expect(usage(() => parseCallArgs(['t', '--timeout', '3']))).toBe(
      '--timeout applies to --wait: add --wait',
    );
    expect(usage(() => parseCallArgs(['t', '--wait', '--timeout', '0']))).toBe(
      'Expected --timeout to be a number of seconds > 0, got "0"',
    );
  });
});

describe('celeriac purge: its command line', () => {
  it('reads -Q as comma-separated queues, each once', () => {
    expect(parsePurgeArgs(['-Q', 'a, b,a', '--force'])).toEqual({
      queues: ['a', 'b'],
      force: true,
      json: false,
      app: undefined,
    });
  });
  it('refuses no queue, and a queue given without -Q', () => {
    expect(usage(() => parsePurgeArgs([]))).toMatch(/^Name the queues to purge with -Q/);
    expect(usage(() => parsePurgeArgs(['celery']))).toBe(
      'Name the queues with -Q (e.g. celeriac purge -Q celery)',
    );
  });
});

describe('celeriac result: outcomes', () => {
  const view = {
    id: 't',
    state: 'PENDING',
    stored: false,
    ready: false,
    result: null,
    traceback: null,
    dateDone: null,
  };
  it('calls an id with nothing stored no such task, a FAILURE failed, and a SUCCESS nothing', () => {
    expect(taskOutcomeError(view)?.message).toBe(`t: ${NO_SUCH_TASK}; check the id, or wait with --wait`);
    expect(taskOutcomeError({ ...view, stored: true, state: 'FAILURE' })?.message).toMatch(
      /t failed; see its traceback with celeriac result t --traceback/,
    );
    expect(taskOutcomeError({ ...view, stored: true, state: 'SUCCESS' })).toBeUndefined();
  });
});

describe('the progress line', () => {
  const stream = (isTTY: boolean) => {
    let written = '';
    return {
      s: {
        isTTY,
        write: (t: string) => {
          written += t;
          return true;
        },
      } as unknown as NodeJS.WriteStream,
      out: () => written,
    };
  };
  it('rewrites itself in place on a terminal and prints plain lines otherwise', () => {
    const tty = stream(true);
    const line = new ProgressLine(tty.s);
    line.update('one');
    line.update('two');
    line.done();
    expect(tty.out()).toBe('\r\x1b[2Kone\r\x1b[2Ktwo\n');
    const pipe = stream(false);
    const plain = new ProgressLine(pipe.s);
    plain.update('one');
    plain.update('two');
    plain.done();
    expect(pipe.out()).toBe('one\ntwo\n');
  });
  it('shows PROGRESS meta, and the state alone for PENDING and the final states', () => {
    expect(progressText('t', 'PROGRESS', { done: 3, total: 10 }, 1500)).toBe(
      't PROGRESS {"done":3,"total":10} (1.5 s)',
    );
    expect(progressText('t', 'PENDING', null, 0)).toBe('t PENDING (0.0 s)');
    expect(progressText('t', 'SUCCESS', 5, 2000)).toBe('t SUCCESS (2.0 s)');
  });
});

describe('celeriac status: the screen', () => {
  it('lists each queue with its dead letters, and the online workers', () => {
    const depth = { url: 'u', arn: 'a', visible: 0, inFlight: 0, delayed: 0 };
    const text = formatStatus({
      queues: [
        {
          ...depth,
          queue: 'celery',
          name: 'celery',
          visible: 3,
          inFlight: 1,
          delayed: 2,
          oldestAgeSeconds: 75,
          sentPerMinute: 12.4,
          deletedPerMinute: 11,
          deadLetter: { ...depth, name: 'celery-dlq', visible: 4 },
        },
        {
          ...depth,
          queue: 'x',
          name: 'x',
          oldestAgeSeconds: null,
          sentPerMinute: null,
          deletedPerMinute: null,
        },
      ],
      workers: [
        {
          hostname: 'celeriac@h',
          kind: 'worker',
          queues: ['celery'],
          active: 1,
          processed: 7,
          heartbeatAgeSeconds: 2,
        },
      ],
    });
    expect(text.split('\n')).toEqual([
      'QUEUE   VISIBLE  IN FLIGHT  DELAYED  OLDEST  SENT/MIN  DONE/MIN  DEAD LETTERS',
      'celery  3        1          2        75s     12.4      11        4 in celery-dlq',
      'x       0        0          0        -       -         -         no dead-letter queue',
      '',
      'Workers: 1 online',
      '  celeriac@h (worker) queues celery; 1 active, 7 processed; heartbeat 2s ago',
    ]);
    expect(formatStatus({ queues: [], workers: null })).toMatch(/the worker registry is off/);
  });
});
