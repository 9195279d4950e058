/**
 * An `eta` or `expires` goes on the wire as an ISO-8601 datetime with a 4-digit year, which is all Python's
 * `datetime` holds (years 1 to 9999). A countdown, an expiry in seconds or a Date that gives a time outside
 * those years is refused when the send is built, naming the option, and nothing is sent.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { type SendCall, toSendRequest } from '../../src/send-request.js';
import { memoryApp } from '../helpers/memory-app.js';

const SECONDS = 'a number of seconds >= 0 that gives a time in the years 0001 to 9999 UTC';
const DATE = 'a Date or ISO-8601 time in the years 0001 to 9999 UTC';

function request(options: SendCall['options'], nowMs = Date.UTC(2024, 0, 1)) {
  return toSendRequest(
    { name: 'tasks.add', options },
    { queue: 'celery', origin: 'gen1@test', nowMs, newId: () => 'id-1' },
  );
}

function refusal(run: () => unknown): InvalidOptionError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('eta and expires beyond the years an ISO-8601 datetime holds', () => {
  it.each([
    ['countdown', 1e308, `Expected \`countdown\` to be ${SECONDS}, got 1e+308`],
    ['expires', 1e308, `Expected \`expires\` to be ${SECONDS}, got 1e+308`],
    ['countdown', 1e15, `Expected \`countdown\` to be ${SECONDS}, got 1000000000000000`],
    ['expires', 1e12, `Expected \`expires\` to be ${SECONDS}, got 1000000000000`],
  ] as const)('refuses %s %s, naming the range', (option, value, message) => {
    const error = refusal(() => request({ [option]: value }));
    expect(error.message).toBe(message);
    expect(error).toMatchObject({ option, value });
  });

  it.each([
    ['eta', new Date('+010000-01-01T00:00:00Z'), 'Date(+010000-01-01T00:00:00.000Z)'],
    ['expires', new Date('0000-12-31T23:59:59.999Z'), 'Date(0000-12-31T23:59:59.999Z)'],
    ['eta', '0000-06-01T00:00:00', '"0000-06-01T00:00:00"'],
    ['expires', '9999-12-31T23:30:00-01:00', '"9999-12-31T23:30:00-01:00"'],
  ] as const)('refuses %s %s, naming the range', (option, value, shown) => {
    const error = refusal(() => request({ [option]: value }));
    expect(error.message).toBe(`Expected \`${option}\` to be ${DATE}, got ${shown}`);
    expect(error).toMatchObject({ option, value });
  });

  it('takes the first and the last millisecond of the range', () => {
    const last = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    expect(request({ countdown: 0.999 }, last - 999).eta?.getTime()).toBe(last);
    expect(request({ expires: 1 }, last - 1000).expires?.getTime()).toBe(last);
    const first = new Date('0001-01-01T00:00:00Z');
    expect(request({ eta: first }).eta).toEqual(first);
    expect(request({ expires: '9999-12-31T23:59:59.999+00:00' }).expires?.getTime()).toBe(last);
    expect(() => request({ countdown: 1 }, last - 999)).toThrow(InvalidOptionError);
  });

  it('sends nothing from applyAsync or sendTask', async () => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    await expect(add.applyAsync([1, 2], {}, { countdown: 1e308 })).rejects.toThrow(
      `Expected \`countdown\` to be ${SECONDS}, got 1e+308`,
    );
    await expect(fx.app.sendTask('tasks.add', [1, 2], {}, { expires: 1e308 })).rejects.toThrow(
      `Expected \`expires\` to be ${SECONDS}, got 1e+308`,
    );
    await expect(
      fx.app.sendTask('tasks.add', [1, 2], {}, { eta: new Date('+010000-01-01T00:00:00Z') }),
    ).rejects.toThrow(InvalidOptionError);
    expect(fx.queued()).toHaveLength(0);
  });
});
