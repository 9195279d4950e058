/**
 * One pure resolver for the app's settings: explicit options win, then the environment variables that
 * deployed infrastructure sets (`ENV` in `env.ts`), then defaults. Celery's setting names are noted where a
 * setting has a Celery twin.
 */
import { ImproperlyConfigured } from '../errors.js';
import { ENV } from './env.js';

/** Settings for {@link resolveConfig}; every field is optional. */
export interface AppConfig {
  /** App name, shown in worker names. Default `celeriac`. */
  readonly name?: string;
  /** Queue for tasks that name none (Celery `task_default_queue`). Default `celery`. */
  readonly defaultQueue?: string;
  /** Prefix kombu adds to queue names (kombu `queue_name_prefix`). Default none. */
  readonly queueNamePrefix?: string;
  /**
   * Celery queue name → SQS queue URL. Queues not listed are looked up by their kombu name
   * (`GetQueueUrl`). Default: from `CELERIAC_QUEUE_URLS`.
   */
  readonly queueUrls?: Readonly<Record<string, string>>;
  /** DynamoDB results table (Celery's DynamoDB backend table). Default: `CELERIAC_RESULT_TABLE`, else `celery`. */
  readonly resultTable?: string;
  /** Seconds a result lives before TTL deletion; none by default (Celery's `ttl_seconds`). */
  readonly resultTtlSeconds?: number;
  /** Store `name, args, kwargs, worker, retries, queue` with results (Celery `result_extended`). Default false. */
  readonly resultExtended?: boolean;
  /** S3 bucket for large payloads. Default: `CELERIAC_PAYLOAD_BUCKET`; none disables offloading. */
  readonly payloadBucket?: string;
  /** Key prefix for payload objects. Default `celeriac/`. */
  readonly payloadPrefix?: string;
  /** Messages larger than this go through the payload bucket. Default 262 144 bytes (256 KiB). */
  readonly payloadThresholdBytes?: number;
  /** Result metas larger than this go through the payload bucket. Default 262 144 bytes. */
  readonly resultThresholdBytes?: number;
  /** Messages and results larger than this are refused. Default 67 108 864 bytes (64 MiB). */
  readonly maxPayloadBytes?: number;
  /** AWS region. Default: `AWS_REGION`, else `us-east-1`. */
  readonly region?: string;
  /** Endpoint for every AWS client (an emulator). Default: `AWS_ENDPOINT_URL`; none in AWS. */
  readonly endpoint?: string;
  /** Where to read environment variables. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Settings with every default applied. */
export interface ResolvedConfig {
  readonly name: string;
  readonly defaultQueue: string;
  readonly queueNamePrefix: string;
  readonly queueUrls: Readonly<Record<string, string>>;
  readonly resultTable: string;
  readonly resultTtlSeconds: number | undefined;
  readonly resultExtended: boolean;
  readonly payloadBucket: string | undefined;
  readonly payloadPrefix: string;
  readonly payloadThresholdBytes: number;
  readonly resultThresholdBytes: number;
  readonly maxPayloadBytes: number;
  readonly region: string;
  readonly endpoint: string | undefined;
}

function parseQueueUrls(text: string | undefined): Record<string, string> {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ImproperlyConfigured(
      'queueUrls',
      `${ENV.QUEUE_URLS} must be a JSON object of queue name to URL, got ${JSON.stringify(text.slice(0, 60))}`,
      { cause: error },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ImproperlyConfigured(
      'queueUrls',
      `${ENV.QUEUE_URLS} must be a JSON object, got ${text.slice(0, 60)}`,
    );
  }
  for (const [name, url] of Object.entries(parsed)) {
    if (typeof url !== 'string') {
      throw new ImproperlyConfigured(
        'queueUrls',
        `${ENV.QUEUE_URLS}.${name} must be a URL string, got ${JSON.stringify(url)}`,
      );
    }
  }
  return parsed as Record<string, string>;
}

function seconds(setting: string, value: number | string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new ImproperlyConfigured(
      setting,
      `Expected \`${setting}\` to be a whole number of seconds >= 0, got ${value}`,
    );
  }
  return n;
}

function bytes(setting: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new ImproperlyConfigured(
      setting,
      `Expected \`${setting}\` to be a whole number of bytes >= 1, got ${value}`,
    );
  }
  return value;
}

const nonEmpty = (value: string | undefined): string | undefined => (value ? value : undefined);

/**
 * Applies environment variables and defaults to `config`.
 *
 * @throws {ImproperlyConfigured} naming the setting, when a value cannot be used.
 * @example
 * resolveConfig({ defaultQueue: 'jobs' }, { CELERIAC_RESULT_TABLE: 'results' }).resultTable // 'results'
 */
export function resolveConfig(config: AppConfig = {}): ResolvedConfig {
  const env = config.env ?? process.env;
  return {
    name: config.name ?? 'celeriac',
    defaultQueue: config.defaultQueue ?? nonEmpty(env[ENV.DEFAULT_QUEUE]) ?? 'celery',
    queueNamePrefix: config.queueNamePrefix ?? '',
    queueUrls: { ...parseQueueUrls(env[ENV.QUEUE_URLS]), ...(config.queueUrls ?? {}) },
    resultTable: config.resultTable ?? nonEmpty(env[ENV.RESULT_TABLE]) ?? 'celery',
    resultTtlSeconds: seconds('resultTtlSeconds', config.resultTtlSeconds ?? env[ENV.RESULT_TTL_SECONDS]),
    resultExtended: config.resultExtended ?? false,
    payloadBucket: config.payloadBucket ?? nonEmpty(env[ENV.PAYLOAD_BUCKET]),
    payloadPrefix: config.payloadPrefix ?? nonEmpty(env[ENV.PAYLOAD_PREFIX]) ?? 'celeriac/',
    payloadThresholdBytes: bytes('payloadThresholdBytes', config.payloadThresholdBytes, 262_144),
    resultThresholdBytes: bytes('resultThresholdBytes', config.resultThresholdBytes, 262_144),
    maxPayloadBytes: bytes('maxPayloadBytes', config.maxPayloadBytes, 64 * 1024 * 1024),
    region: config.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1',
    endpoint: config.endpoint ?? nonEmpty(env.AWS_ENDPOINT_URL),
  };
}
