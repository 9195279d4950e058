/**
 * The account, region and credentials of the local stack, and the environment that points AWS clients (the CDK
 * CLI, the SDK, the AWS CLI) at the emulator.
 */

/** The region the local stack uses. */
export const LOCAL_REGION = 'us-east-1';

/** The account MiniStack puts resources in when the access key is not a 12-digit account id. */
export const MINISTACK_ACCOUNT = '000000000000';

/**
 * The access key (and secret) used against MiniStack. The CDK CLI caches the account of each access key
 * (`~/.cdk/cache/accounts_partitions.json`); a key used against another emulator (moto says 123456789012)
 * would make it refuse to deploy to MiniStack's 000000000000, so this key is used for MiniStack only.
 */
export const MINISTACK_ACCESS_KEY = 'celeriac-ministack';

/** `http://127.0.0.1:<port>`: the endpoint every client of a local MiniStack uses. */
export const loopbackEndpoint = (port: number): string => `http://127.0.0.1:${port}`;

/**
 * The environment for AWS clients talking to the emulator at `endpoint`: `base` (the caller's environment)
 * without its AWS profile, session or service-specific endpoints, plus the emulator's endpoint, region and
 * credentials, and the CDK CLI's switches for a quiet, offline run.
 */
export function emulatorEnvironment(
  endpoint: string,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_PROFILE', 'CDK_DEFAULT_ACCOUNT']) {
    delete env[name];
  }
  for (const name of Object.keys(env)) {
    // A service-specific endpoint (AWS_ENDPOINT_URL_SQS, ...) would send that service elsewhere.
    if (name.startsWith('AWS_ENDPOINT_URL_')) delete env[name];
  }
  return {
    ...env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: MINISTACK_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: MINISTACK_ACCESS_KEY,
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CDK_DISABLE_VERSION_CHECK: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
