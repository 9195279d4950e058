/**
 * Plausible mistakes of a caller of the client API, each refused at the call with an error that names the option
 * and what it takes, before anything is sent or a poll loop starts.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { memoryApp } from '../helpers/memory-app.js';

describe('send options', () => {
  it.each([
    ['an infinite time limit', { timeLimitSeconds: Number.POSITIVE_INFINITY }, 'timeLimitSeconds'],
    [
      'an infinite soft time limit',
      { softTimeLimitSeconds: Number.POSITIVE_INFINITY },
      'softTimeLimitSeconds',
    ],
  ])('refuses %s, which no worker would accept, and sends nothing', async (_what, options, option) => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const attempt = add.applyAsync([1, 2], {}, options);
    await expect(attempt).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(attempt).rejects.toThrow(
      `Expected \`${option}\` to be a finite number of seconds > 0, got Infinity`,
    );
    expect(fx.queued()).toHaveLength(0);
  });

  it('refuses an infinite time limit on a task at registration', () => {
    const fx = memoryApp();
    expect(() => fx.app.task('tasks.slow', () => 1, { timeLimitSeconds: Number.POSITIVE_INFINITY })).toThrow(
      'Expected `tasks.slow: timeLimitSeconds` to be a finite number of seconds > 0, got Infinity',
    );
  });

  it('takes null options as none, and refuses options that are not an object', async () => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    await add.applyAsync([1, 2], {}, null as never);
    expect(fx.queued().map((m) => m.args)).toEqual([[1, 2]]);
    await expect(add.applyAsync([1, 2], {}, [60] as never)).rejects.toThrow(
      'Expected `options` to be an object of send options, got an array of 1',
    );
  });

  it.each([
    ['id', 'the-other-id', ' (set it with `taskId`)'],
    ['task', 'tasks.other', ' (set it with the task name)'],
    ['retries', 3, ''],
    ['compression', 'application/x-gzip', ' (set it with `compression`)'],
  ])("refuses a custom header named %s, one of Celery's own, and sends nothing", async (key, value, hint) => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const attempt = add.applyAsync([1, 2], {}, { headers: { [key]: value } });
    await expect(attempt).rejects.toMatchObject({
      name: 'InvalidOptionError',
      option: `headers.${key}`,
      value,
    });
    await expect(attempt).rejects.toThrow(
      `headers.${key} is one of Celery's own message headers, which celeriac writes itself${hint}; give the custom header another name`,
    );
    expect(fx.queued()).toHaveLength(0);
  });

  it.each([
    ['countDown', 'countdown'],
    ['count_down', 'countdown'],
    ['task_id', 'taskId'],
    ['time_limit', 'timeLimitSeconds'],
    ['link_error', 'linkError'],
  ])('refuses the unknown option %s, which would be left out, and names %s', async (name, meant) => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const attempt = add.applyAsync([1, 2], {}, { [name]: 60 } as never);
    await expect(attempt).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(attempt).rejects.toThrow(`Unknown send option \`${name}\`; did you mean \`${meant}\`?`);
    await expect(fx.app.sendTask('tasks.add', [1, 2], {}, { [name]: 60 } as never)).rejects.toThrow(
      `Unknown send option \`${name}\``,
    );
    expect(fx.queued()).toHaveLength(0);
  });

  it('refuses an option it has no guess for, listing the options', async () => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    await expect(add.applyAsync([1, 2], {}, { retry: true } as never)).rejects.toThrow(
      /^Unknown send option `retry` \(options: countdown, eta, expires, queue, taskId,/,
    );
  });

  it('refuses a link or linkError that is not a signature, which would make the message undecodable', async () => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    await expect(fx.app.sendTask('tasks.add', [1, 2], {}, { link: 'tasks.log' as never })).rejects.toThrow(
      /^Expected `link` to be a signature \(task\.s\(\.\.\.\), or a dict with `task`\) or a list of them: `link\[0\]` is not a signature/,
    );
    await expect(
      add.applyAsync([1, 2], {}, { linkError: [add.s(1), { task: 'tasks.log', args: 'x' } as never] }),
    ).rejects.toThrow(/`linkError\[1\]\.args` is "x", not a list of arguments/);
    expect(fx.queued()).toHaveLength(0);
    // A link's own send is checked too, by name as by the task.
    const badLink = { ...add.s(1), options: { priority: 999 } };
    await expect(fx.app.sendTask('tasks.add', [1, 2], {}, { link: badLink })).rejects.toThrow(/`priority`/);
    await expect(fx.app.sendTasks([{ name: 'tasks.add', options: { link: badLink } }])).rejects.toThrow(
      /`priority`/,
    );
    expect(fx.queued()).toHaveLength(0);
    // A signature, or a list of them, goes; so does a dict written by hand with only its task.
    await add.applyAsync([1, 2], {}, { link: add.s(3), linkError: [add.s(4)] });
    await fx.app.sendTask('tasks.add', [1, 2], {}, { link: { task: 'tasks.log' } as never });
    expect(fx.queued()).toHaveLength(2);
  });

  it("sends custom headers after Celery's own, and refuses headers that are not an object", async () => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const handle = await add.applyAsync([1, 2], {}, { headers: { tenant: 'acme', 'x-trace': 7 } });
    const [message] = fx.queued();
    expect(message?.headers).toMatchObject({
      id: handle.id,
      task: 'tasks.add',
      tenant: 'acme',
      'x-trace': 7,
    });
    await expect(add.applyAsync([1, 2], {}, { headers: ['tenant'] as never })).rejects.toThrow(
      'Expected `headers` to be an object of custom header names to values, got an array of 1',
    );
  });
});

describe('sendTasks', () => {
  it('refuses two calls with one task id, naming both, and sends none of the batch', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.report', (what: string) => what);
    const attempt = fx.app.sendTasks([
      { name: 'tasks.report', args: ['first'], options: { taskId: 'report-42' } },
      { name: 'tasks.report', args: ['other'] },
      { name: 'tasks.report', args: ['second'], options: { taskId: 'report-42' } },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(attempt).rejects.toThrow(
      'Expected `calls[2].options.taskId` to be an id no other call of the batch has (calls[0] has it; a task id runs once), got "report-42"',
    );
    expect(fx.queued()).toHaveLength(0);
  });
});

describe('get and join', () => {
  it.each([
    [{ timeoutMs: Number.NaN }, 'Expected `timeoutMs` to be a number of milliseconds, got NaN'],
    [{ timeoutMs: 100, intervalMs: 0 }, 'Expected `intervalMs` to be a number of milliseconds >= 1, got 0'],
    [
      { timeoutMs: 100, intervalMs: -10 },
      'Expected `intervalMs` to be a number of milliseconds >= 1, got -10',
    ],
    [
      { timeoutMs: 100, maxIntervalMs: Number.NaN },
      'Expected `maxIntervalMs` to be a number of milliseconds >= 1, got NaN',
    ],
  ])(
    'refuses %j before the first read, which would never time out or poll without pause',
    async (options, message) => {
      const fx = memoryApp();
      const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
      const result = await add.delay(1, 2);
      let reads = 0;
      const meta = result.meta.bind(result);
      result.meta = async () => {
        reads++;
        return meta();
      };
      await expect(result.get(options)).rejects.toThrow(message);
      expect(reads).toBe(0);
      const group = fx.app.client.groupResult('g-1', [result]);
      await expect(group.join(options)).rejects.toThrow(message);
      expect(reads).toBe(0);
    },
  );
});

describe('a task sent with ignoreResult', () => {
  it('resolves get() with undefined at once, as Celery returns None, instead of waiting for a result never stored', async () => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const quiet = fx.app.task('tasks.quiet', () => 'done', { ignoreResult: true });
    const sent = [
      await add.applyAsync([1, 2], {}, { ignoreResult: true }),
      await quiet.delay(),
      await fx.app.sendTask('tasks.add', [1, 2], {}, { ignoreResult: true }),
      ...(await fx.app.sendTasks([{ name: 'tasks.quiet' }])),
    ];
    for (const result of sent) {
      expect(result.ignored).toBe(true);
      let reads = 0;
      result.meta = async () => {
        reads++;
        throw new Error('not read');
      };
      await expect(result.get({ timeoutMs: 10 })).resolves.toBeUndefined();
      expect(reads).toBe(0);
    }
    // A handle of a task sent to store its result waits for it, and one made from an id knows nothing.
    expect((await add.delay(1, 2)).ignored).toBe(false);
    expect(fx.app.asyncResult(sent[0]?.id ?? '').ignored).toBe(false);
  });
});
