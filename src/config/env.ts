/**
 * Names of the environment variables through which deployed infrastructure tells the client and the worker
 * where things are. `infra/` sets them (construct grants and the worker function); `src/` reads them. Keep the
 * names here only, so the two sides cannot drift apart.
 */
export const ENV = {
  /** DynamoDB table that holds task results, in Celery's DynamoDB backend item format. */
  RESULT_TABLE: 'CELERIAC_RESULT_TABLE',
  /** S3 bucket for payloads too large for a message or an item. */
  PAYLOAD_BUCKET: 'CELERIAC_PAYLOAD_BUCKET',
  /** Key prefix for payload objects in {@link ENV.PAYLOAD_BUCKET}. */
  PAYLOAD_PREFIX: 'CELERIAC_PAYLOAD_PREFIX',
  /** JSON object mapping Celery queue names to SQS queue URLs, e.g. `{"celery": "https://sqs..."}`. */
  QUEUE_URLS: 'CELERIAC_QUEUE_URLS',
  /** Celery queue name used when a task names none (Celery's `task_default_queue`). */
  DEFAULT_QUEUE: 'CELERIAC_DEFAULT_QUEUE',
  /** Seconds a stored result lives before DynamoDB's TTL may delete it; unset means no `ttl` attribute. */
  RESULT_TTL_SECONDS: 'CELERIAC_RESULT_TTL_SECONDS',
  /** PEM of the RSA private key that signs sent messages (Celery's `security_key`). */
  SECURITY_KEY: 'CELERIAC_SECURITY_KEY',
  /** PEM of the certificate of {@link ENV.SECURITY_KEY} (Celery's `security_certificate`). */
  SECURITY_CERTIFICATE: 'CELERIAC_SECURITY_CERTIFICATE',
  /** PEM of the trusted certificates, one after another (Celery's `security_cert_store`). */
  SECURITY_CERT_STORE: 'CELERIAC_SECURITY_CERT_STORE',
  /** Digest of signatures, `sha256` by default (Celery's `security_digest`). */
  SECURITY_DIGEST: 'CELERIAC_SECURITY_DIGEST',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
