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
  /**
   * Secrets Manager secret (name or ARN) whose `SecretString` is {@link ENV.SECURITY_KEY}'s PEM, for
   * `loadSecuritySecrets()`; set by the constructs' `signing` prop.
   */
  SECURITY_KEY_SECRET: 'CELERIAC_SECURITY_KEY_SECRET',
  /** Secret holding the private key's passphrase (Celery's `security_key_password`), for `loadSecuritySecrets()`. */
  SECURITY_KEY_PASSWORD_SECRET: 'CELERIAC_SECURITY_KEY_PASSWORD_SECRET',
  /** Secret holding {@link ENV.SECURITY_CERTIFICATE}'s PEM, for `loadSecuritySecrets()`. */
  SECURITY_CERTIFICATE_SECRET: 'CELERIAC_SECURITY_CERTIFICATE_SECRET',
  /** Secret holding {@link ENV.SECURITY_CERT_STORE}'s PEM (the trusted certificates), for `loadSecuritySecrets()`. */
  SECURITY_CERT_STORE_SECRET: 'CELERIAC_SECURITY_CERT_STORE_SECRET',
  /** Milliseconds concurrent single sends wait to leave as one batch (`coalesceSendsMs`); unset or 0, none. */
  COALESCE_SENDS_MS: 'CELERIAC_COALESCE_SENDS_MS',
  /** Comma-separated event sinks, `stdout` and/or `eventbridge` (docs/monitoring.md); unset sends no events. */
  EVENTS: 'CELERIAC_EVENTS',
  /** Name or ARN of the EventBridge bus the `eventbridge` sink puts events on; `default` when unset. */
  EVENT_BUS: 'CELERIAC_EVENT_BUS',
  /** `true` sends `task-sent` for every message sent (Celery's `task_send_sent_event`). */
  TASK_SEND_SENT_EVENT: 'CELERIAC_TASK_SEND_SENT_EVENT',
  /** `true` writes the task index's keys on result items (set by `ResultStore({ taskIndex: true })`). */
  TASK_INDEX: 'CELERIAC_TASK_INDEX',
  /** Seconds between worker heartbeats (the `worker-heartbeat` event and the registry record); 30 when unset. */
  HEARTBEAT_SECONDS: 'CELERIAC_HEARTBEAT_SECONDS',
  /** `true` makes the Lambda handler write task metrics as CloudWatch Embedded Metric Format log lines. */
  EMF_METRICS: 'CELERIAC_EMF_METRICS',
  /** `json` writes hosts' log lines as JSON with Powertools Logger's fields; `text` (the default) as one line. */
  LOG_FORMAT: 'CELERIAC_LOG_FORMAT',
  /** Role EventBridge Scheduler assumes to deliver long-ETA messages, for every queue (`longEta.roleArn`). */
  SCHEDULER_ROLE_ARN: 'CELERIAC_SCHEDULER_ROLE_ARN',
  /** JSON object of Celery queue name to that queue's delivery role (`longEta.roleArns`), set by the constructs. */
  SCHEDULER_ROLE_ARNS: 'CELERIAC_SCHEDULER_ROLE_ARNS',
  /** Schedule group of long-ETA schedules (`longEta.groupName`); `default` when unset. */
  SCHEDULE_GROUP: 'CELERIAC_SCHEDULE_GROUP',
  /** Seconds of wait past which a countdown or ETA is scheduled instead of re-delayed (`longEta.thresholdSeconds`). */
  LONG_ETA_THRESHOLD_SECONDS: 'CELERIAC_LONG_ETA_THRESHOLD_SECONDS',
  /** `true` makes workers follow the migration routes record (`migration`, docs/migrating-from-celery.md). */
  MIGRATION: 'CELERIAC_MIGRATION',
  /** Seconds between reads of the migration routes record (`migration.refreshSeconds`); 10 when unset. */
  MIGRATION_REFRESH_SECONDS: 'CELERIAC_MIGRATION_REFRESH_SECONDS',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
