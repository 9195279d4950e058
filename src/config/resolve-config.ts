/**
 * One pure resolver for the app's settings: explicit options win, then the environment variables that
 * deployed infrastructure sets (`ENV` in `env.ts`), then defaults. Celery's setting names are noted where a
 * setting has a Celery twin.
 */
import { ImproperlyConfigured } from '../errors.js';
import {
  type EventsConfig,
  type ResolvedEventsConfig,
  resolveEventsConfig,
} from '../events/events-config.js';
import { parseRate, type Rate, type RateLimit } from '../flow/rate.js';
import {
  type MigrationConfig,
  type ResolvedMigrationConfig,
  resolveMigrationConfig,
} from '../migration/migration-config.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_OFFLOAD_THRESHOLD_BYTES } from '../ports/service-limits.js';
import type { MessageSigner, MessageVerifier } from '../protocol/auth-serializer.js';
import {
  COMPRESSION_METHODS_TEXT,
  type CompressionMethod,
  isCompressionMethod,
} from '../protocol/compression.js';
import { DEFAULT_MAX_BZIP2_BYTES } from '../protocol/limits.js';
import { SecurityError } from '../protocol/security-error.js';
import {
  acceptedContentTypes,
  DEFAULT_ACCEPT_CONTENT,
  isSerializerName,
  type SerializerName,
} from '../protocol/serializers.js';
import { CertificateStore, readPrivateKey, SigningCertificate } from '../protocol/signing-certificate.js';
import { ENV } from './env.js';
import { parseJsonStringMap } from './json-string-map.js';
import { type LongEtaConfig, type ResolvedLongEtaConfig, resolveLongEtaConfig } from './long-eta-config.js';
import { type PriorityQueue, resolveTaskRouting, type TaskRoutes, type TaskRouting } from './task-routes.js';

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
  /**
   * Messages and results larger than this are refused. Default 67 108 864 bytes (64 MiB), or on Lambda a 32nd
   * of the function's memory when that is less (16 MiB at 512 MB; {@link defaultMaxPayloadBytes}).
   */
  readonly maxPayloadBytes?: number;
  /**
   * A bzip2 body that inflates past this is refused (the smaller of this and `maxPayloadBytes` applies). Lower
   * than `maxPayloadBytes` because bzip2 inflates on the event loop, about 0.3 s per MiB at worst
   * (docs/security.md). Default 1 048 576 bytes (1 MiB).
   */
  readonly maxBzip2Bytes?: number;
  /**
   * AWS region. Default: `AWS_REGION`, else `AWS_DEFAULT_REGION` (boto3's, for shared Python environments),
   * else left to the SDK, which reads the profile's region (`AWS_PROFILE`, `~/.aws/config`).
   */
  readonly region?: string;
  /**
   * One endpoint for every AWS client (an emulator). Default: none, and the SDK resolves each service's
   * endpoint itself from the process environment: `AWS_ENDPOINT_URL_SQS` / `AWS_ENDPOINT_URL_DYNAMODB` /
   * `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, then the profile's `endpoint_url`, else AWS's regional
   * endpoints. With an explicit `env`, which the SDK cannot see, that env's `AWS_ENDPOINT_URL` is the default.
   */
  readonly endpoint?: string;
  /** Where to read environment variables. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Serializer of the messages this app sends (Celery `task_serializer`): `json`, `msgpack`, `yaml`. Default `json`. */
  readonly serializer?: SerializerName;
  /** Compression of the messages this app sends (Celery `task_compression`): `zlib`, `gzip`, `brotli`. Default none. */
  readonly compression?: CompressionMethod;
  /**
   * Serializers this app's workers read (Celery `accept_content`), by name or content type. Pickle is never
   * read. Default `['json']`.
   */
  readonly acceptContent?: readonly string[];
  /**
   * Message signing, compatible with Celery's `auth` serializer (`setup_security()`). With `key` and
   * `certificate` every sent message is signed; with `certStore` workers accept only messages signed by one of
   * its certificates. Default: from `CELERIAC_SECURITY_KEY`, `CELERIAC_SECURITY_CERTIFICATE`,
   * `CELERIAC_SECURITY_CERT_STORE` and `CELERIAC_SECURITY_DIGEST` (PEM text); unset, messages are not signed.
   * `loadSecurityFiles` (celeriac/security) reads Celery-style paths.
   */
  readonly security?: SecuritySettings;
  /**
   * Workers read JSON arguments exactly: integers beyond 2^53 as `bigint`, integral floats as `PythonFloat`,
   * datetimes as `PythonDateTime` (microseconds, naive or aware), so they go back to Python unchanged. Changes
   * the types tasks receive, hence off by default (numbers and `Date`s). What is sent is always exact.
   */
  readonly exactValues?: boolean;
  /**
   * Concurrent single-message sends to one standard queue within this many milliseconds leave as one
   * `SendMessageBatch` of up to 10 (for API Lambdas that fan out with many `delay()` calls). Each such send
   * waits up to this long. Default: `CELERIAC_COALESCE_SENDS_MS`, else 0 (off).
   */
  readonly coalesceSendsMs?: number;
  /** Monitoring events (Celery's `worker_send_task_events`) and their sinks; none by default (docs/monitoring.md). */
  readonly events?: EventsConfig;
  /**
   * Long countdowns and ETAs as one-time EventBridge Scheduler schedules instead of 15-minute re-delays: the
   * delivery role, schedule group and threshold (long-eta-config.ts; docs/flow-control.md, "Long ETAs").
   * Default: from the environment the TaskQueue construct's grants set; without a role, every ETA hops.
   */
  readonly longEta?: LongEtaConfig;
  /**
   * Celery's `task_routes`: task name or glob (`'tasks.*'`) to a queue name or `{ queue, priority }`, for sends
   * that name no queue (task-routes.ts; docs/flow-control.md, "Priorities"). Default none.
   */
  readonly taskRoutes?: TaskRoutes;
  /**
   * Priority bands, as SQS has no message priority: `[{ queue: 'high', minPriority: 6 }]` sends messages of
   * priority 6 and more (higher is more urgent) to `high` when no call option, task option or route names a
   * queue. Default none: every priority goes to the default queue.
   */
  readonly priorityQueues?: readonly PriorityQueue[];
  /** Rate limit of tasks that set none (Celery `task_default_rate_limit`), in `rateLimit`'s syntax. Default none. */
  readonly defaultRateLimit?: RateLimit;
  /**
   * Where rate and key limits hold: `fleet` (every worker and Lambda invocation together, through the results
   * table) or `worker` (each process on its own, as in Celery). Default `fleet`; `celeriac worker
   * --rate-limit-scope` overrides it.
   */
  readonly rateLimitScope?: RateLimitScope;
  /**
   * Send a task's limit key as the message group of a standard queue (SQS fair queues), so one noisy key does
   * not hold back the others' messages. Default true.
   */
  readonly fairQueues?: boolean;
  /**
   * Moving from Python Celery, one task name at a time: which side runs each task name (docs/migrating-from-celery.md).
   * Setting it (even to `{}`), or `CELERIAC_MIGRATION=1`, makes workers follow the routes record. Default off.
   */
  readonly migration?: MigrationConfig;
}

/** Where limits hold (`rateLimitScope`). */
export type RateLimitScope = 'fleet' | 'worker';

/** Keys and certificates for message signing, as PEM text (Celery's `security_*` settings). */
export interface SecuritySettings {
  /** The RSA private key that signs (Celery `security_key`). */
  readonly key?: string | Buffer;
  /** The key's passphrase (Celery `security_key_password`). */
  readonly keyPassword?: string;
  /** The key's X.509 certificate, whose id names the signer (Celery `security_certificate`). */
  readonly certificate?: string | Buffer;
  /** The certificates whose signatures are trusted (Celery `security_cert_store`). */
  readonly certStore?: readonly (string | Buffer)[];
  /** Signature digest (Celery `security_digest`). Default `sha256`. */
  readonly digest?: string;
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
  readonly maxBzip2Bytes: number;
  /** The explicit or environment region; `undefined` leaves it to the SDK's provider chain (the profile). */
  readonly region: string | undefined;
  /** The explicit endpoint; `undefined` leaves endpoints to the SDK (`AWS_ENDPOINT_URL[_<SERVICE>]`). */
  readonly endpoint: string | undefined;
  readonly serializer: SerializerName;
  readonly compression: CompressionMethod | undefined;
  /** Content types the workers read. */
  readonly acceptContent: readonly string[];
  /** Signs sent messages, when a key and certificate are configured. */
  readonly signer: MessageSigner | undefined;
  /** Verifies received messages, when a certificate store is configured; then unsigned ones are refused. */
  readonly verifier: MessageVerifier | undefined;
  readonly exactValues: boolean;
  /** 0 when sends are not coalesced. */
  readonly coalesceSendsMs: number;
  readonly events: ResolvedEventsConfig;
  readonly longEta: ResolvedLongEtaConfig;
  /** `taskRoutes` and `priorityQueues`, validated. */
  readonly routing: TaskRouting;
  readonly defaultRateLimit: Rate | undefined;
  readonly rateLimitScope: RateLimitScope;
  readonly fairQueues: boolean;
  readonly migration: ResolvedMigrationConfig;
}

function seconds(setting: string, value: number | string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new ImproperlyConfigured(
      `Expected \`${setting}\` to be a whole number of seconds >= 0, got ${value}`,
      { setting: setting },
    );
  }
  return n;
}

function bytes(setting: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new ImproperlyConfigured(
      `Expected \`${setting}\` to be a whole number of bytes >= 1, got ${value}`,
      { setting: setting },
    );
  }
  return value;
}

function coalesceSetting(value: number | string | undefined): number {
  if (value === undefined || value === '') return 0;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1000) {
    throw new ImproperlyConfigured(
      `Expected \`coalesceSendsMs\` (${ENV.COALESCE_SENDS_MS}) to be a number of milliseconds from 0 to 1000, got ${value}`,
      { setting: 'coalesceSendsMs' },
    );
  }
  return n;
}

const nonEmpty = (value: string | undefined): string | undefined => (value ? value : undefined);

function serializerSetting(value: unknown): SerializerName {
  if (value === undefined) return 'json';
  if (!isSerializerName(value)) {
    throw new ImproperlyConfigured(
      `Expected \`serializer\` to be 'json', 'msgpack' or 'yaml', got ${JSON.stringify(value)}`,
      { setting: 'serializer' },
    );
  }
  return value;
}

function compressionSetting(value: unknown): CompressionMethod | undefined {
  if (value === undefined || isCompressionMethod(value)) return value;
  throw new ImproperlyConfigured(
    `Expected \`compression\` to be ${COMPRESSION_METHODS_TEXT}, got ${JSON.stringify(value)} ` +
      '(bzip2 and lzma are read but not written by celeriac)',
    { setting: 'compression' },
  );
}

function securitySetting(
  settings: SecuritySettings | undefined,
  env: Readonly<Record<string, string | undefined>>,
): { signer: MessageSigner | undefined; verifier: MessageVerifier | undefined } {
  const key = settings?.key ?? nonEmpty(env[ENV.SECURITY_KEY]);
  const certificate = settings?.certificate ?? nonEmpty(env[ENV.SECURITY_CERTIFICATE]);
  const storeText = nonEmpty(env[ENV.SECURITY_CERT_STORE]);
  const certStore = settings?.certStore ?? (storeText ? [storeText] : undefined);
  const digest = settings?.digest ?? nonEmpty(env[ENV.SECURITY_DIGEST]) ?? 'sha256';
  if ((key === undefined) !== (certificate === undefined)) {
    throw new ImproperlyConfigured(
      'Message signing needs both `security.key` and `security.certificate` (Celery security_key and ' +
        'security_certificate), or neither',
      { setting: 'security' },
    );
  }
  try {
    const signer =
      key !== undefined && certificate !== undefined
        ? {
            key: readPrivateKey(key, settings?.keyPassword),
            certificate: new SigningCertificate(certificate),
            digest,
          }
        : undefined;
    const verifier = certStore !== undefined ? { store: new CertificateStore(certStore), digest } : undefined;
    return { signer, verifier };
  } catch (error) {
    if (!(error instanceof SecurityError)) throw error;
    throw new ImproperlyConfigured(`\`security\` is not usable: ${error.message}`, {
      setting: 'security',
      cause: error,
    });
  }
}

function acceptSetting(value: readonly string[] | undefined): readonly string[] {
  if (value === undefined) return DEFAULT_ACCEPT_CONTENT;
  const accepted = acceptedContentTypes(value);
  if ('unknown' in accepted) {
    throw new ImproperlyConfigured(
      `\`acceptContent\` names ${JSON.stringify(accepted.unknown)}, which celeriac cannot read; ` +
        "use 'json', 'msgpack' and 'yaml' (pickle is never accepted)",
      { setting: 'acceptContent' },
    );
  }
  return accepted.contentTypes;
}

/**
 * The default `maxPayloadBytes`: 64 MiB, or on Lambda a 32nd of the function's memory when that is less (16 MiB
 * at 512 MB). A Lambda handler runs a batch of ten at once, and a message at the limit takes about 1.7 times its
 * size in memory once inflated and parsed (measured: ten compressed messages of 60 MiB took the process from
 * 100 MB to 1.1 GB): ten of them then use about half the function's memory, instead of taking the invocation
 * down, and every message of its batch with it.
 */
export function defaultMaxPayloadBytes(env: Readonly<Record<string, string | undefined>>): number {
  const memoryMb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  if (!Number.isInteger(memoryMb) || memoryMb <= 0) return DEFAULT_MAX_PAYLOAD_BYTES;
  const share = Math.floor((memoryMb * 1024 * 1024) / 32);
  return Math.min(DEFAULT_MAX_PAYLOAD_BYTES, share);
}

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
    queueUrls: {
      ...parseJsonStringMap(env[ENV.QUEUE_URLS], {
        variable: ENV.QUEUE_URLS,
        setting: 'queueUrls',
        keys: 'queue name',
        values: 'URL',
      }),
      ...(config.queueUrls ?? {}),
    },
    resultTable: config.resultTable ?? nonEmpty(env[ENV.RESULT_TABLE]) ?? 'celery',
    resultTtlSeconds: seconds('resultTtlSeconds', config.resultTtlSeconds ?? env[ENV.RESULT_TTL_SECONDS]),
    resultExtended: config.resultExtended ?? false,
    payloadBucket: config.payloadBucket ?? nonEmpty(env[ENV.PAYLOAD_BUCKET]),
    payloadPrefix: config.payloadPrefix ?? nonEmpty(env[ENV.PAYLOAD_PREFIX]) ?? 'celeriac/',
    payloadThresholdBytes: bytes(
      'payloadThresholdBytes',
      config.payloadThresholdBytes,
      DEFAULT_OFFLOAD_THRESHOLD_BYTES,
    ),
    resultThresholdBytes: bytes(
      'resultThresholdBytes',
      config.resultThresholdBytes,
      DEFAULT_OFFLOAD_THRESHOLD_BYTES,
    ),
    maxPayloadBytes: bytes('maxPayloadBytes', config.maxPayloadBytes, defaultMaxPayloadBytes(env)),
    maxBzip2Bytes: bytes('maxBzip2Bytes', config.maxBzip2Bytes, DEFAULT_MAX_BZIP2_BYTES),
    // No fallback region, and no endpoint from process.env's AWS_ENDPOINT_URL: either would override the SDK's
    // own resolution (the profile's region; AWS_ENDPOINT_URL_<SERVICE> ahead of AWS_ENDPOINT_URL). An `env`
    // passed in place of process.env is invisible to the SDK, so its AWS_ENDPOINT_URL is taken here.
    region: config.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION),
    endpoint: nonEmpty(config.endpoint) ?? (config.env ? nonEmpty(config.env.AWS_ENDPOINT_URL) : undefined),
    serializer: serializerSetting(config.serializer),
    compression: compressionSetting(config.compression),
    acceptContent: acceptSetting(config.acceptContent),
    ...securitySetting(config.security, env),
    exactValues: config.exactValues ?? false,
    coalesceSendsMs: coalesceSetting(config.coalesceSendsMs ?? env[ENV.COALESCE_SENDS_MS]),
    events: resolveEventsConfig(config.events, env),
    longEta: resolveLongEtaConfig(config.longEta, env),
    routing: resolveTaskRouting(config.taskRoutes, config.priorityQueues),
    defaultRateLimit:
      config.defaultRateLimit === undefined
        ? undefined
        : parseRate(config.defaultRateLimit, 'defaultRateLimit'),
    rateLimitScope: scopeSetting(config.rateLimitScope),
    fairQueues: config.fairQueues ?? true,
    migration: resolveMigrationConfig(config.migration, env),
  };
}

function scopeSetting(value: unknown): RateLimitScope {
  if (value === undefined || value === 'fleet' || value === 'worker') return value ?? 'fleet';
  throw new ImproperlyConfigured(
    `Expected \`rateLimitScope\` to be 'fleet' or 'worker', got ${JSON.stringify(value)}`,
    { setting: 'rateLimitScope' },
  );
}
