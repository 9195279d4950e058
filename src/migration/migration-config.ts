/**
 * The `migration` setting: whether this app's workers follow the routes record, the routes in code, and how the
 * handover behaves (docs/migrating-from-celery.md). The routes record (`celeriac route`) wins over the routes in
 * code, task name by task name.
 */
import { ENV } from '../config/env.js';
import { ImproperlyConfigured } from '../errors.js';
import { type Route, type Side, validateRoute } from './routes-record.js';

/** The `migration` app option. */
export interface MigrationConfig {
  /**
   * Routes in code, task name to a side (`'python'`, `'celeriac'`, `'shadow'`) or a
   * `{ side, pythonQueue?, celeriacQueue? }`. Default none: every task name runs where it is received.
   */
  readonly routes?: Readonly<Record<string, Side | Route>>;
  /** Seconds between reads of the routes record. Default 10 (`CELERIAC_MIGRATION_REFRESH_SECONDS`). */
  readonly refreshSeconds?: number;
  /**
   * On a queue both sides read, with no queue of the other side's own: how many receives of a message meant
   * for the other side before it is left for the dead-letter queue with an error. Default 10.
   */
  readonly handoverLimit?: number;
}

/** `migration`, validated; `enabled` is false when neither the option nor `CELERIAC_MIGRATION` turns it on. */
export interface ResolvedMigrationConfig {
  readonly enabled: boolean;
  readonly routes: Readonly<Record<string, Route>>;
  readonly refreshMs: number;
  readonly handoverLimit: number;
}

const DEFAULT_REFRESH_SECONDS = 10;
const DEFAULT_HANDOVER_LIMIT = 10;

function positive(option: string, value: unknown, integer: boolean): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !(n > 0) || (integer && !Number.isInteger(n))) {
    throw new ImproperlyConfigured(
      `Expected \`${option}\` to be ${integer ? 'an integer' : 'a number'} > 0, got ${JSON.stringify(value)}`,
      { setting: option },
    );
  }
  return n;
}

/**
 * Resolves the `migration` option with the environment.
 *
 * @throws {ImproperlyConfigured} naming the setting that is wrong.
 */
export function resolveMigrationConfig(
  config: MigrationConfig | undefined,
  env: Readonly<Record<string, string | undefined>>,
): ResolvedMigrationConfig {
  const flag = env[ENV.MIGRATION]?.trim().toLowerCase();
  const enabled = config !== undefined || flag === '1' || flag === 'true' || flag === 'on' || flag === 'yes';
  const routes: Record<string, Route> = {};
  for (const [name, route] of Object.entries(config?.routes ?? {})) {
    try {
      routes[name] = validateRoute(`migration.routes.${name}`, route);
    } catch (error) {
      throw new ImproperlyConfigured((error as Error).message, {
        cause: error,
        setting: `migration.routes.${name}`,
      });
    }
  }
  const refresh = config?.refreshSeconds ?? env[ENV.MIGRATION_REFRESH_SECONDS] ?? DEFAULT_REFRESH_SECONDS;
  return {
    enabled,
    routes,
    refreshMs: positive('migration.refreshSeconds', refresh, false) * 1000,
    handoverLimit: positive('migration.handoverLimit', config?.handoverLimit ?? DEFAULT_HANDOVER_LIMIT, true),
  };
}
