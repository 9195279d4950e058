/**
 * The `longEta` setting: when a countdown or ETA becomes a one-time EventBridge Scheduler schedule instead of a
 * re-delay every 15 minutes, and which role and schedule group the schedules use. Explicit options win over the
 * environment variables the TaskQueue construct's grants set (`CELERIAC_SCHEDULER_ROLE_ARN[S]`,
 * `CELERIAC_SCHEDULE_GROUP`, `CELERIAC_LONG_ETA_THRESHOLD_SECONDS`). With no role, every ETA hops.
 */
import { ImproperlyConfigured } from '../errors.js';
import { DEFAULT_LONG_ETA_THRESHOLD_SECONDS, MIN_LONG_ETA_THRESHOLD_SECONDS } from '../long-eta.js';
import { ENV } from './env.js';
import { parseJsonStringMap } from './json-string-map.js';

/** Settings of the `longEta` option. */
export interface LongEtaConfig {
  /**
   * The role EventBridge Scheduler assumes to deliver a scheduled message, for every queue without one in
   * `roleArns`. Default: `CELERIAC_SCHEDULER_ROLE_ARN`; none leaves long ETAs to the hops.
   */
  readonly roleArn?: string;
  /**
   * Celery queue name → delivery role, for queues with a role of their own (the TaskQueue construct makes one
   * per queue, allowed to send to that queue only). Default: `CELERIAC_SCHEDULER_ROLE_ARNS` (a JSON object).
   */
  readonly roleArns?: Readonly<Record<string, string>>;
  /** Schedule group of the schedules. Default: `CELERIAC_SCHEDULE_GROUP`, else `default`. */
  readonly groupName?: string;
  /**
   * Waits longer than this many seconds are scheduled, shorter ones hop (at least 60). Default:
   * `CELERIAC_LONG_ETA_THRESHOLD_SECONDS`, else 2 700 (45 minutes, from `npm run bench:long-eta`).
   */
  readonly thresholdSeconds?: number;
}

/** {@link LongEtaConfig} with every default applied. */
export interface ResolvedLongEtaConfig {
  readonly roleArn: string | undefined;
  readonly roleArns: Readonly<Record<string, string>>;
  readonly groupName: string;
  readonly thresholdSeconds: number;
}

function thresholdSetting(value: number | string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_LONG_ETA_THRESHOLD_SECONDS;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < MIN_LONG_ETA_THRESHOLD_SECONDS) {
    throw new ImproperlyConfigured(
      `Expected \`longEta.thresholdSeconds\` (${ENV.LONG_ETA_THRESHOLD_SECONDS}) to be a whole number of seconds >= ` +
        `${MIN_LONG_ETA_THRESHOLD_SECONDS} (EventBridge Scheduler fires to the minute), got ${value}`,
      { setting: 'longEta.thresholdSeconds' },
    );
  }
  return n;
}

/**
 * Applies the environment and defaults to the `longEta` option.
 *
 * @example
 * resolveLongEtaConfig(undefined, { CELERIAC_SCHEDULER_ROLE_ARN: arn }).roleArn // arn
 */
export function resolveLongEtaConfig(
  config: LongEtaConfig | undefined,
  env: Readonly<Record<string, string | undefined>>,
): ResolvedLongEtaConfig {
  return {
    roleArn: config?.roleArn ?? (env[ENV.SCHEDULER_ROLE_ARN] || undefined),
    roleArns: {
      ...parseJsonStringMap(env[ENV.SCHEDULER_ROLE_ARNS], {
        variable: ENV.SCHEDULER_ROLE_ARNS,
        setting: 'longEta.roleArns',
        keys: 'Celery queue name',
        values: 'role ARN',
      }),
      ...(config?.roleArns ?? {}),
    },
    groupName: config?.groupName ?? (env[ENV.SCHEDULE_GROUP] || 'default'),
    thresholdSeconds: thresholdSetting(config?.thresholdSeconds ?? env[ENV.LONG_ETA_THRESHOLD_SECONDS]),
  };
}

/** Whether any delivery role is configured, so a scheduler is worth building. */
export function hasSchedulerRole(config: ResolvedLongEtaConfig): boolean {
  return config.roleArn !== undefined || Object.keys(config.roleArns).length > 0;
}
