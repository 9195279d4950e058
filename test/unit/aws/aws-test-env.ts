/**
 * The environment a unit test of an AWS adapter runs in: dummy credentials and a region, and none of the
 * endpoint or profile variables a developer's shell may carry, so each test sets exactly what it means to.
 */
import { vi } from 'vitest';

const CLEARED = [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_S3',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  'AWS_PROFILE',
  'AWS_DEFAULT_REGION',
  'AWS_SESSION_TOKEN',
  'AWS_MAX_ATTEMPTS',
  'AWS_RETRY_MODE',
];

/** Stubs the environment for one test; `vi.unstubAllEnvs()` (in `afterEach`) restores it. */
export function stubAwsTestEnv(overrides: Readonly<Record<string, string | undefined>> = {}): void {
  for (const name of CLEARED) vi.stubEnv(name, undefined);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'unit');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'unit');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/celeriac-unit-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/celeriac-unit-credentials');
  for (const [name, value] of Object.entries(overrides)) vi.stubEnv(name, value);
}
