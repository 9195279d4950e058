import { describe, expect, it } from 'vitest';
import { hasSchedulerRole, resolveLongEtaConfig } from '../../../src/config/long-eta-config.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { ImproperlyConfigured } from '../../../src/errors.js';
import { DEFAULT_LONG_ETA_THRESHOLD_SECONDS } from '../../../src/long-eta.js';

const role = 'arn:aws:iam::123456789012:role/celeriac-scheduler';

describe('longEta settings', () => {
  it('reads the role, per-queue roles, group and threshold from the variables the constructs set', () => {
    const resolved = resolveConfig({
      env: {
        CELERIAC_SCHEDULER_ROLE_ARN: role,
        CELERIAC_SCHEDULER_ROLE_ARNS: JSON.stringify({ high: `${role}-high` }),
        CELERIAC_SCHEDULE_GROUP: 'tasks',
        CELERIAC_LONG_ETA_THRESHOLD_SECONDS: '3600',
      },
    }).longEta;
    expect(resolved).toEqual({
      roleArn: role,
      roleArns: { high: `${role}-high` },
      groupName: 'tasks',
      thresholdSeconds: 3600,
    });
    expect(hasSchedulerRole(resolved)).toBe(true);
  });

  it('lets explicit options win, and defaults to no role, the default group and the benched threshold', () => {
    const defaults = resolveLongEtaConfig(undefined, {});
    expect(defaults).toEqual({
      roleArn: undefined,
      roleArns: {},
      groupName: 'default',
      thresholdSeconds: DEFAULT_LONG_ETA_THRESHOLD_SECONDS,
    });
    expect(hasSchedulerRole(defaults)).toBe(false);
    const explicit = resolveLongEtaConfig(
      { roleArn: 'arn:aws:iam::123456789012:role/mine', thresholdSeconds: 120 },
      { CELERIAC_SCHEDULER_ROLE_ARN: role, CELERIAC_LONG_ETA_THRESHOLD_SECONDS: '999' },
    );
    expect(explicit).toMatchObject({ roleArn: 'arn:aws:iam::123456789012:role/mine', thresholdSeconds: 120 });
  });

  it.each([
    ['30', /whole number of seconds >= 60.*got 30/],
    ['1.5e3x', /got 1\.5e3x/],
  ])('refuses the threshold %s, naming the variable', (value, message) => {
    const resolve = () => resolveLongEtaConfig(undefined, { CELERIAC_LONG_ETA_THRESHOLD_SECONDS: value });
    expect(resolve).toThrow(ImproperlyConfigured);
    expect(resolve).toThrow(/CELERIAC_LONG_ETA_THRESHOLD_SECONDS/);
    expect(resolve).toThrow(message);
  });

  it('refuses per-queue roles that are not a JSON object of strings', () => {
    for (const text of ['{nope', '["a"]', '{"high": 1}']) {
      expect(() => resolveLongEtaConfig(undefined, { CELERIAC_SCHEDULER_ROLE_ARNS: text })).toThrow(
        /CELERIAC_SCHEDULER_ROLE_ARNS must be a JSON object of Celery queue name to role ARN/,
      );
    }
  });
});
