import { describe, expect, it } from 'vitest';
import { crontab } from '../../src/beat/crontab.js';
import { UnsupportedScheduleError } from '../../src/beat/errors.js';
import { every } from '../../src/beat/every.js';
import { SCHEDULED_TIME_PLACEHOLDER } from '../../src/config/schedule-definition.js';
import { ImproperlyConfigured, InvalidOptionError } from '../../src/errors.js';
import { periodicMessageTemplate, renderFiring } from '../../src/periodic.js';
import { decodeTaskMessage } from '../../src/protocol/task-message.js';
import { memoryApp } from '../helpers/memory-app.js';

describe('app.periodic', () => {
  it('turns a crontab entry into EventBridge expressions and a message template', () => {
    const { app } = memoryApp();
    const cleanup = app.task('tasks.cleanup', (days: number) => days);
    app.periodic('nightly-cleanup', {
      task: cleanup,
      schedule: crontab({ minute: 30, hour: 4, dayOfWeek: 'mon-fri' }),
      args: [7],
      timezone: 'Europe/Berlin',
      options: { headers: { source: 'beat' } },
    });
    const [definition] = app.scheduleDefinitions();
    expect(definition).toMatchObject({
      name: 'nightly-cleanup',
      celeryQueue: 'celery',
      enabled: true,
      expressions: [{ expression: 'cron(30 4 ? * MON-FRI *)', timezone: 'Europe/Berlin' }],
    });
    expect(definition?.input.split(SCHEDULED_TIME_PLACEHOLDER)).toHaveLength(4); // id, root_id, correlation_id
    const firing = decodeTaskMessage(renderFiring(definition?.input ?? '', '2026-11-23T03:30:00Z'));
    expect(firing.headers).toMatchObject({
      task: 'tasks.cleanup',
      id: 'nightly-cleanup-2026-11-23T03:30:00Z',
      root_id: 'nightly-cleanup-2026-11-23T03:30:00Z',
      eta: null,
      expires: null,
      source: 'beat',
    });
    expect(firing.properties.correlation_id).toBe('nightly-cleanup-2026-11-23T03:30:00Z');
    expect(firing.args).toEqual([7]);
  });

  it('builds the same template every time, wherever it is built', () => {
    const a = memoryApp();
    const b = memoryApp();
    for (const { app } of [a, b])
      app.periodic('tick', { task: 'tasks.tick', schedule: every({ minutes: 5 }) });
    const [ta] = a.app.periodicTasks;
    const [tb] = b.app.periodicTasks;
    if (!ta || !tb) throw new Error('not registered');
    const sender = (fx: typeof a) => ({
      request: fx.app.client.request.bind(fx.app.client),
      appName: 'celeriac',
    });
    expect(periodicMessageTemplate(ta, sender(a))).toEqual(periodicMessageTemplate(tb, sender(b)));
  });

  it('refuses a schedule EventBridge Scheduler cannot fire, saying why', () => {
    const { app } = memoryApp();
    app.periodic('fast', { task: 'tasks.tick', schedule: every(2) });
    expect(() => app.scheduleDefinitions()).toThrow(UnsupportedScheduleError);
    expect(() => app.scheduleDefinitions()).toThrow(/minute/);
  });

  it('refuses duplicate names, bad names, per-call times and FIFO queues', () => {
    const { app } = memoryApp();
    app.periodic('tick', { task: 'tasks.tick', schedule: every(60) });
    expect(() => app.periodic('tick', { task: 'tasks.tick', schedule: every(60) })).toThrow(
      ImproperlyConfigured,
    );
    expect(() => app.periodic('has space', { task: 'tasks.tick', schedule: every(60) })).toThrow(
      InvalidOptionError,
    );
    expect(() =>
      app.periodic('late', { task: 'tasks.tick', schedule: every(60), options: { countdown: 5 } as never }),
    ).toThrow(/options\.countdown/);
    app.periodic('ordered', { task: 'tasks.tick', schedule: every(60), options: { queue: 'jobs.fifo' } });
    expect(() => app.scheduleDefinitions()).toThrow(/FIFO queue "jobs.fifo"/);
  });

  it('refuses, where the entry is declared, an option or argument its firings could not send', () => {
    const { app } = memoryApp();
    expect(() =>
      app.periodic('loud', { task: 'tasks.tick', schedule: every(60), options: { priority: 999 } }),
    ).toThrow(/^Periodic task loud: Expected `priority` to be /);
    expect(() =>
      app.periodic('slow', {
        task: 'tasks.tick',
        schedule: every(60),
        options: { timeLimitSeconds: Number.POSITIVE_INFINITY },
      }),
    ).toThrow(
      'Periodic task slow: Expected `timeLimitSeconds` to be a finite number of seconds > 0, got Infinity',
    );
    expect(() =>
      app.periodic('shaped', { task: 'tasks.tick', schedule: every(60), args: { a: 1 } as never }),
    ).toThrow('Expected `shaped: args` to be an array of positional arguments, got an object');
    expect(() =>
      app.periodic('keyed', { task: 'tasks.tick', schedule: every(60), kwargs: [1] as never }),
    ).toThrow('Expected `keyed: kwargs` to be an object of keyword arguments, got an array of 1');
    expect(app.periodicTasks).toEqual([]);
  });

  it('refuses, where the entry is declared, a schedule that is not one and a missing task', () => {
    const { app } = memoryApp();
    expect(() => app.periodic('seconds', { task: 'tasks.tick', schedule: 30 as never })).toThrow(
      'Expected `seconds: schedule` to be a schedule built with crontab({...}) or every(seconds), got 30',
    );
    // Python's crontab(minute=0, hour=4) written as its fields, without crontab().
    expect(() =>
      app.periodic('fields', { task: 'tasks.tick', schedule: { minute: 0, hour: 4 } as never }),
    ).toThrow(
      'Expected `fields: schedule` to be a schedule built with crontab({...}) or every(seconds), got an object',
    );
    expect(() => app.periodic('taskless', { schedule: every(60) } as never)).toThrow(
      'Expected `taskless: task` to be a task name or a registered task, got undefined',
    );
    expect(() => app.periodic('blank', { task: '', schedule: every(60) })).toThrow(
      'Expected `blank: task` to be a task name or a registered task, got ""',
    );
    expect(app.periodicTasks).toEqual([]);
  });

  it.each([
    ['+05:00', 'is a UTC offset: use an IANA timezone name'],
    ['europe/berlin', 'is spelled "Europe/Berlin" in the IANA database'],
    ['Mars/Olympus_Mons', 'Unknown timezone'],
  ])(
    'refuses the timezone %s, which EventBridge Scheduler would not read as the local beat does',
    (timezone, why) => {
      const { app } = memoryApp();
      expect(() =>
        app.periodic('zoned', { task: 'tasks.tick', schedule: crontab({ minute: 0 }), timezone }),
      ).toThrow(why);
    },
  );

  it('marks disabled entries disabled', () => {
    const { app } = memoryApp();
    app.periodic('off', { task: 'tasks.tick', schedule: every({ hours: 1 }), enabled: false });
    expect(app.scheduleDefinitions()[0]).toMatchObject({
      enabled: false,
      expressions: [{ expression: 'rate(1 hour)' }],
    });
  });
});
