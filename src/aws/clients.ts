/**
 * AWS SDK clients, created once per app and reused (in Lambda, across invocations). The same code runs against
 * AWS and any emulator.
 *
 * - **Region**: an explicit `region` wins; without one the SDK resolves it (`AWS_REGION`, then the profile).
 * - **Endpoints**: an explicit `endpoint` sends every client there; without one the SDK resolves each service's
 *   endpoint itself, from `AWS_ENDPOINT_URL_SQS` / `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_S3`, then
 *   `AWS_ENDPOINT_URL`, then the profile's `endpoint_url`, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is set;
 *   otherwise the regional AWS endpoint applies. Whenever a custom endpoint is in effect for a service (explicit,
 *   or from those environment variables), S3 uses path-style addressing (emulators cannot resolve
 *   `<bucket>.localhost`) and SQS ignores the host inside queue URLs (emulators hand out AWS-looking ones). An
 *   endpoint set only in the shared config file is not seen here: set `endpoint` as well in that case.
 * - **Timeouts**: every client has a request handler with a connection timeout and a per-attempt request
 *   timeout, so an endpoint that accepts a connection and never answers fails with a retryable `TimeoutError`
 *   instead of hanging. The SDK's standard retry strategy (jittered exponential backoff) retries it as it
 *   retries every transient error. A long poll sets its own, longer request timeout (see `SqsBroker.receive`).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ImproperlyConfigured } from '../errors.js';

/** How long to wait for a TCP (and TLS) connection before giving up the attempt. */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
/**
 * How long one attempt may wait for its response. Long polls add their wait to it; S3 also uses it as the
 * socket's idle timeout while a payload's body streams.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Where the clients go, and how long they wait. */
export interface AwsClientOptions {
  /** AWS region. Default: the SDK's resolution (`AWS_REGION`, then the profile's region). */
  readonly region?: string | undefined;
  /** One endpoint for every client (an emulator's URL, e.g. `http://127.0.0.1:4566`). Default: the SDK's. */
  readonly endpoint?: string | undefined;
  /** Default {@link DEFAULT_CONNECTION_TIMEOUT_MS}. */
  readonly connectionTimeoutMs?: number | undefined;
  /** Default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  readonly requestTimeoutMs?: number | undefined;
  /**
   * Where to look for the configured-endpoint variables that decide path-style S3 and queue-URL handling.
   * Default `process.env`, which is also what the SDK reads.
   */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** The SDK clients celeriac uses. */
export interface AwsClients {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  /**
   * The S3 client, created (and `@aws-sdk/client-s3` loaded) on the first call, and the same one after: only an
   * app with a payload bucket pays for it, which keeps it out of a Lambda worker's cold start otherwise.
   */
  readonly s3: () => Promise<S3Client>;
}

/** The SDK's service ids, as they appear in `AWS_ENDPOINT_URL_<SERVICE>`. */
type ServiceId = 'SQS' | 'DYNAMODB' | 'S3';

/**
 * Whether a custom endpoint will be in effect for a service: the explicit one, or the one the SDK will take
 * from the environment (its precedence: `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`).
 */
export function hasCustomEndpoint(
  service: ServiceId,
  options: Pick<AwsClientOptions, 'endpoint' | 'env'> = {},
): boolean {
  if (options.endpoint) return true;
  const env = options.env ?? process.env;
  if ((env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '').toLowerCase() === 'true') return false;
  return Boolean(env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL);
}

function timeoutMs(setting: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new ImproperlyConfigured(
      `Expected \`${setting}\` to be a number of milliseconds > 0, got ${value}`,
      { setting: setting },
    );
  }
  return value;
}

/** Where one SDK client goes and how long it waits: the part of {@link AwsClientOptions} every client takes. */
export type SdkClientOptions = Pick<
  AwsClientOptions,
  'region' | 'endpoint' | 'connectionTimeoutMs' | 'requestTimeoutMs'
>;

/**
 * The configuration every celeriac SDK client starts from: the region and endpoint when given, and a request
 * handler with a connection timeout and a per-attempt request timeout (`extra` adds handler settings, such as
 * S3's socket timeout). Any SDK v3 client takes it.
 *
 * @example
 * const scheduler = new SchedulerClient(sdkClientConfig({ endpoint: 'http://127.0.0.1:4566' }));
 */
export function sdkClientConfig(
  options: SdkClientOptions = {},
  extra: { readonly socketTimeout?: number } = {},
): { region?: string; endpoint?: string; requestHandler: NodeHttpHandler } {
  const { region, endpoint } = options;
  const connectionTimeout = timeoutMs(
    'connectionTimeoutMs',
    options.connectionTimeoutMs,
    DEFAULT_CONNECTION_TIMEOUT_MS,
  );
  const requestTimeout = timeoutMs('requestTimeoutMs', options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
  return {
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    requestHandler: new NodeHttpHandler({
      connectionTimeout,
      requestTimeout,
      throwOnRequestTimeout: true,
      ...extra,
    }),
  };
}

/**
 * Creates the clients; no network traffic happens until the first call.
 *
 * @example
 * const clients = createAwsClients({ endpoint: 'http://127.0.0.1:5000', requestTimeoutMs: 10_000 });
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const requestTimeout = timeoutMs('requestTimeoutMs', options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
  // Checked now, so a bad setting fails here rather than at the first large payload.
  const s3Config = {
    ...sdkClientConfig(options, { socketTimeout: requestTimeout }),
    forcePathStyle: hasCustomEndpoint('S3', options),
  };
  let s3: Promise<S3Client> | undefined;
  return {
    sqs: new SQSClient({
      ...sdkClientConfig(options),
      useQueueUrlAsEndpoint: !hasCustomEndpoint('SQS', options),
    }),
    dynamodb: new DynamoDBClient(sdkClientConfig(options)),
    s3: () => {
      s3 ??= import('@aws-sdk/client-s3').then((sdk) => new sdk.S3Client(s3Config));
      return s3;
    },
  };
}
