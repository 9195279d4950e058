/** The properties of a `ResultStore` (result-store.ts), with the behaviour each default stands for. */
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/** Properties of a `ResultStore`. */
export interface ResultStoreProps {
  /**
   * How long a stored result lives. Workers then write a `ttl` attribute (epoch seconds, now + this) on each
   * result item, and DynamoDB's TTL deletes expired items, as Celery's `result_expires` does with the
   * DynamoDB backend's `ttl_seconds`. Must be a whole number of seconds, at least 1 s. Passed to every granted
   * function as `CELERIAC_RESULT_TTL_SECONDS`.
   *
   * @default - results never expire: workers write no `ttl` attribute
   */
  readonly resultTtl?: Duration;

  /**
   * Key prefix under which payload objects live in the bucket. Grants and the expiry rule cover only keys
   * under it. Letters, digits and `!_.'()-`, in `/`-separated segments, ending in `/`.
   *
   * @default 'celeriac/'
   */
  readonly payloadPrefix?: string;

  /**
   * How long a payload object lives before an S3 lifecycle rule deletes it. A payload holds either the
   * arguments of a task whose message was too large for SQS (needed until the message is consumed, at most
   * its queue's retention) or a result too large for a DynamoDB item (needed as long as the result item).
   * Without `resultTtl` result items never expire, but large results still disappear after this period.
   * Whole days, at least 1 day, and at least `resultTtl`.
   *
   * @default - 14 days (SQS's longest retention), or `resultTtl` rounded up to whole days if that is longer
   */
  readonly payloadExpiration?: Duration;

  /**
   * Customer managed KMS key that encrypts both the table and the bucket. Grants then include the KMS
   * actions each needs on this key.
   *
   * @default - the table uses the AWS managed key `aws/dynamodb`; the bucket uses S3-managed keys (SSE-S3)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What happens to the table and the bucket when they leave the stack. With `DESTROY`, CloudFormation can
   * delete the bucket only once it is empty (the lifecycle rule empties it over time); celeriac does not add
   * `autoDeleteObjects`, because that deploys a custom-resource Lambda function.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Whether the bucket keeps object versions. When on, non-current versions expire one day after they are
   * replaced or deleted, so versioning does not undo `payloadExpiration`.
   *
   * @default false
   */
  readonly versioned?: boolean;

  /**
   * Bucket that receives S3 server access logs for the payload bucket.
   *
   * @default - no server access logs. Payload objects are short-lived copies of task arguments and results
   * addressed by task id; use CloudTrail S3 data events, or set this prop, when you must audit each access.
   */
  readonly serverAccessLogsBucket?: s3.IBucket;

  /**
   * Key prefix for the server access logs in `serverAccessLogsBucket`.
   *
   * @default - no prefix (logs land at the root of `serverAccessLogsBucket`)
   */
  readonly serverAccessLogsPrefix?: string;

  /**
   * Adds the task index: two sparse global secondary indexes on the table (`celeriac-by-state` keyed on
   * `idx_state`, `celeriac-by-name` keyed on `idx_name`, both sorted by `timestamp`, projecting only the keys
   * and the other index key), so `celeriac events` and a dashboard can list tasks by state, name and time.
   * Granted functions get `CELERIAC_TASK_INDEX=true`, and their workers write the index keys on the result items
   * they already write: no extra request, but each indexed write also consumes write units on each index
   * (docs/monitoring.md). Items Python Celery writes are not indexed.
   *
   * @default false - no index; workers write no index keys
   */
  readonly taskIndex?: boolean;

  /**
   * Provisioned capacity for the table, kept between `min` and `max` by auto scaling at
   * `targetUtilizationPercent`, instead of paying per request (on demand). For a steady load it costs far less
   * per task: effectively once writes twice per task, $1.25 per million tasks on demand against $0.52 at 70 %
   * utilization (`celeriac cost --billing provisioned`). A burst beyond the capacity is throttled until auto
   * scaling catches up (minutes): workers retry throttled writes, so nothing is lost, but tasks wait. The task
   * index's two indexes get the same capacity. Equal `min` and `max` fix the capacity, without auto scaling.
   *
   * @default - on demand (`PAY_PER_REQUEST`)
   */
  readonly provisionedCapacity?: ProvisionedCapacity;
}

/** The range of one capacity, in units (one 1 KiB write, or one 4 KiB strongly consistent read, per second). */
export interface CapacityRange {
  /** The fewest units auto scaling may set, and the capacity the table is created with. At least 1. */
  readonly min: number;
  /** The most units auto scaling may set. At least `min`, at most 40,000 (the default per-table quota). */
  readonly max: number;
}

/** Provisioned capacity of a {@link ResultStoreProps}'s table. */
export interface ProvisionedCapacity {
  /** Write capacity units: each task writes its claim and its outcome, one unit each up to 1 KiB. */
  readonly writeUnits: CapacityRange;
  /** Read capacity units: `AsyncResult.get()` polls, the dashboard and `celeriac result` read. */
  readonly readUnits: CapacityRange;
  /**
   * The utilization auto scaling aims at, in percent (20 to 90).
   *
   * @default 70
   */
  readonly targetUtilizationPercent?: number;
}
