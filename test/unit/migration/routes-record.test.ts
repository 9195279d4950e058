import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { resolveMigrationConfig } from '../../../src/migration/migration-config.js';
import { EMPTY_ROUTES, parseRoutesRecord, withRoute } from '../../../src/migration/routes-record.js';

describe('the routes record', () => {
  it('reads sides and queues, a bare side being a route without queues', () => {
    const record = parseRoutesRecord(
      JSON.stringify({
        version: 1,
        tasks: {
          'tasks.a': 'celeriac',
          'tasks.b': { side: 'shadow', celeriacQueue: 'https://sqs.test/1/c' },
        },
      }),
    );
    expect(record.tasks).toEqual({
      'tasks.a': { side: 'celeriac' },
      'tasks.b': { side: 'shadow', celeriacQueue: 'https://sqs.test/1/c' },
    });
  });

  it('names the field that is wrong', () => {
    expect(() => parseRoutesRecord('{"version":1,"tasks":{"tasks.a":{"side":"java"}}}')).toThrow(
      /`routes\.tasks\.a\.side` to be 'python', 'celeriac' or 'shadow', got "java"/,
    );
    expect(() =>
      parseRoutesRecord('{"version":1,"tasks":{"tasks.a":{"side":"python","pythonQueue":"celery"}}}'),
    ).toThrow(/`routes\.tasks\.a\.pythonQueue` to be an SQS queue URL/);
    expect(() => parseRoutesRecord('{"version":2,"tasks":{}}')).toThrow(InvalidOptionError);
    expect(() => parseRoutesRecord('not json')).toThrow(/the routes record is not JSON/);
  });

  it('replaces and removes one task name', () => {
    const one = withRoute(EMPTY_ROUTES, 'tasks.a', { side: 'python' });
    const two = withRoute(one, 'tasks.b', { side: 'celeriac' });
    expect(withRoute(two, 'tasks.a', undefined).tasks).toEqual({ 'tasks.b': { side: 'celeriac' } });
    expect(one.tasks).toEqual({ 'tasks.a': { side: 'python' } });
  });
});

describe('the migration setting', () => {
  it('is off unless the option or CELERIAC_MIGRATION turns it on', () => {
    expect(resolveMigrationConfig(undefined, {}).enabled).toBe(false);
    expect(resolveMigrationConfig(undefined, { CELERIAC_MIGRATION: '1' }).enabled).toBe(true);
    expect(resolveMigrationConfig({}, {})).toEqual({
      enabled: true,
      routes: {},
      refreshMs: 10_000,
      handoverLimit: 10,
    });
  });

  it('validates routes in code and numbers, naming the setting', () => {
    expect(
      resolveMigrationConfig(
        { routes: { 'tasks.a': 'python' } },
        { CELERIAC_MIGRATION_REFRESH_SECONDS: '2' },
      ),
    ).toMatchObject({ routes: { 'tasks.a': { side: 'python' } }, refreshMs: 2000 });
    expect(() => resolveMigrationConfig({ routes: { 'tasks.a': 'ruby' as never } }, {})).toThrow(
      /migration\.routes\.tasks\.a/,
    );
    expect(() => resolveMigrationConfig({ handoverLimit: 0 }, {})).toThrow(
      /`migration\.handoverLimit` to be an integer > 0, got 0/,
    );
  });
});
