/**
 * Where celeriac keeps task state and results (DynamoDB, in Celery's DynamoDB backend schema) and the
 * payloads too large for a message or an item (S3).
 */
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { ENV } from '../../src/config/env.js';
import { TASK_INDEX } from '../../src/config/task-index.js';
import { environmentTargetOf, registerResultStore } from './client-environment.js';
import { autoScale, validateCapacity } from './provisioned-capacity.js';
import type { ResultStoreProps } from './result-store-props.js';
import { CeleriacConfigurationError, describeDuration, PropValidator, secondsOf } from './validation.js';

export type { CapacityRange, ProvisionedCapacity, ResultStoreProps } from './result-store-props.js';

const DEFAULT_PAYLOAD_PREFIX = 'celeriac/';
const DEFAULT_PAYLOAD_EXPIRATION = Duration.days(14);
const PAYLOAD_PREFIX_PATTERN = /^[A-Za-z0-9!_.'()-]+(\/[A-Za-z0-9!_.'()-]+)*\/$/;
const SECONDS_PER_DAY = 86_400;

/**
 * The result store: a DynamoDB table in Celery's DynamoDB result-backend schema (partition key `id`, a string;
 * TTL attribute `ttl`) and an S3 bucket for large payloads. Python Celery configured with
 * `result_backend = 'dynamodb://@<region>/<table name>'` reads and writes the same table.
 *
 * The grants give a principal the exact IAM actions celeriac's client or worker needs and, for a
 * `lambda.Function`, the environment variables that tell celeriac where the store is
 * (`CELERIAC_RESULT_TABLE`, `CELERIAC_PAYLOAD_BUCKET`, `CELERIAC_PAYLOAD_PREFIX`, and
 * `CELERIAC_RESULT_TTL_SECONDS` when `resultTtl` is set).
 *
 * @example
 * const results = new ResultStore(this, 'Results', { resultTtl: Duration.days(1) });
 * results.grantReadResults(apiFunction); // AsyncResult.get() from the API
 * results.grantWritePayloads(apiFunction); // large task arguments
 */
export class ResultStore extends Construct {
  /** The results table (partition key `id` of type S). */
  readonly table: dynamodb.ITable;
  /** The bucket that holds large payloads under {@link ResultStore.payloadPrefix}. */
  readonly payloadBucket: s3.IBucket;
  /** Key prefix of payload objects, ending in `/`. */
  readonly payloadPrefix: string;
  /** How long results live, if they expire. */
  readonly resultTtl: Duration | undefined;
  /** How long payload objects live. */
  readonly payloadExpiration: Duration;
  /** The customer managed key, if the store uses one. */
  readonly encryptionKey: kms.IKey | undefined;
  /** Whether the table has the task index (`taskIndex`). */
  readonly taskIndex: boolean;
  /**
   * The variables celeriac's client and worker read to find this store. Grants set them on Lambda
   * functions; set them yourself on other compute (an ECS task running `celeriac worker`, say).
   */
  readonly clientEnvironment: Readonly<Record<string, string>>;

  private readonly bucket: s3.Bucket;
  /** Principals whose payload-wildcard finding is already acknowledged. */
  private readonly acknowledged = new Set<IConstruct>();

  constructor(scope: Construct, id: string, props: ResultStoreProps = {}) {
    super(scope, id);
    const validate = new PropValidator('ResultStore', this);
    const payloadPrefix = props.payloadPrefix ?? DEFAULT_PAYLOAD_PREFIX;
    if (!PAYLOAD_PREFIX_PATTERN.test(payloadPrefix)) {
      validate.fail(
        'payloadPrefix',
        JSON.stringify(payloadPrefix),
        "must be letters, digits and !_.'()- in /-separated segments, ending in / (e.g. 'celeriac/'): grants " +
          'and the expiry rule match keys by this prefix, and `*` or `?` would act as IAM wildcards.',
      );
    }
    validate.durationInRange(
      'resultTtl',
      props.resultTtl,
      { min: Duration.seconds(1) },
      'workers write it to the `ttl` attribute as whole epoch seconds.',
    );
    validate.durationInRange(
      'payloadExpiration',
      props.payloadExpiration,
      { min: Duration.days(1), unit: 'days' },
      'S3 lifecycle rules expire objects after whole days.',
    );
    const ttlSeconds = secondsOf(props.resultTtl);
    const payloadExpiration = props.payloadExpiration ?? defaultPayloadExpiration(ttlSeconds);
    const expirationSeconds = secondsOf(payloadExpiration);
    if (ttlSeconds !== undefined && expirationSeconds !== undefined && expirationSeconds < ttlSeconds) {
      validate.fail(
        'payloadExpiration',
        describeDuration(payloadExpiration),
        `must be at least \`resultTtl\` (${describeDuration(props.resultTtl ?? payloadExpiration)}), or large ` +
          'results stored in S3 would be deleted while their result items still point to them. Raise ' +
          '`payloadExpiration` or lower `resultTtl`.',
      );
    }

    const capacity = props.provisionedCapacity;
    if (capacity !== undefined) validateCapacity(validate, capacity);
    const initialCapacity =
      capacity === undefined
        ? {}
        : { readCapacity: capacity.readUnits.min, writeCapacity: capacity.writeUnits.min };

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode:
        capacity === undefined ? dynamodb.BillingMode.PAY_PER_REQUEST : dynamodb.BillingMode.PROVISIONED,
      ...initialCapacity,
      timeToLiveAttribute: 'ttl',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption:
        props.encryptionKey === undefined
          ? dynamodb.TableEncryption.AWS_MANAGED
          : dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      removalPolicy,
    });
    if (props.taskIndex === true) {
      const sortKey = { name: TASK_INDEX.SORT_KEY, type: dynamodb.AttributeType.NUMBER };
      table.addGlobalSecondaryIndex({
        indexName: TASK_INDEX.BY_STATE,
        partitionKey: { name: TASK_INDEX.STATE_KEY, type: dynamodb.AttributeType.STRING },
        sortKey,
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: [TASK_INDEX.NAME_KEY, TASK_INDEX.MONITORING_BODY],
        ...initialCapacity,
      });
      table.addGlobalSecondaryIndex({
        indexName: TASK_INDEX.BY_NAME,
        partitionKey: { name: TASK_INDEX.NAME_KEY, type: dynamodb.AttributeType.STRING },
        sortKey,
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: [TASK_INDEX.STATE_KEY],
        ...initialCapacity,
      });
    }
    this.taskIndex = props.taskIndex === true;
    if (capacity !== undefined) {
      autoScale(table, capacity, this.taskIndex ? [TASK_INDEX.BY_STATE, TASK_INDEX.BY_NAME] : []);
    }

    const versioned = props.versioned ?? false;
    this.bucket = new s3.Bucket(this, 'PayloadBucket', {
      encryption:
        props.encryptionKey === undefined ? s3.BucketEncryption.S3_MANAGED : s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: props.encryptionKey === undefined ? undefined : true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned,
      removalPolicy,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsPrefix,
      lifecycleRules: [
        {
          id: 'ExpirePayloads',
          prefix: payloadPrefix,
          expiration: payloadExpiration,
          noncurrentVersionExpiration: versioned ? Duration.days(1) : undefined,
        },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    if (props.serverAccessLogsBucket === undefined) {
      Validations.of(this.bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'Server access logs are opt-in (`serverAccessLogsBucket`): payload objects are short-lived copies of ' +
          'task arguments and results addressed by task id, every request is authenticated and TLS-only, and ' +
          'CloudTrail S3 data events audit access without a second bucket.',
      });
    }

    this.table = table;
    this.payloadBucket = this.bucket;
    this.payloadPrefix = payloadPrefix;
    this.resultTtl = props.resultTtl;
    this.payloadExpiration = payloadExpiration;
    this.encryptionKey = props.encryptionKey;
    this.clientEnvironment = {
      [ENV.RESULT_TABLE]: table.tableName,
      [ENV.PAYLOAD_BUCKET]: this.bucket.bucketName,
      [ENV.PAYLOAD_PREFIX]: payloadPrefix,
      ...(props.resultTtl === undefined
        ? {}
        : { [ENV.RESULT_TTL_SECONDS]: ttlSecondsString(props.resultTtl) }),
      ...(this.taskIndex ? { [ENV.TASK_INDEX]: 'true' } : {}),
    };
  }

  /**
   * Lets `grantee` list tasks through the task index (`celeriac events`, a dashboard).
   *
   * Adds exactly: `dynamodb:Query` on the two indexes (`<table arn>/index/celeriac-by-state` and
   * `.../celeriac-by-name`); with `encryptionKey`, `kms:Decrypt` on the key. A `lambda.Function` grantee
   * also gets the store's {@link ResultStore.clientEnvironment}.
   *
   * @throws {CeleriacConfigurationError} when the store was created without `taskIndex`.
   */
  grantQueryTaskIndex(grantee: iam.IGrantable): iam.Grant {
    if (!this.taskIndex) {
      throw new CeleriacConfigurationError(
        'ResultStore',
        this,
        'taskIndex',
        'false',
        'must be true for grantQueryTaskIndex(): create the store with `taskIndex: true` to add the index.',
      );
    }
    let grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: [TASK_INDEX.BY_STATE, TASK_INDEX.BY_NAME].map(
        (name) => `${this.table.tableArn}/index/${name}`,
      ),
    });
    // DynamoDB decrypts a customer managed key's table with the caller's own kms:Decrypt.
    if (this.encryptionKey !== undefined) {
      grant = grant.combine(this.encryptionKey.grant(grantee, 'kms:Decrypt'));
    }
    const fn = environmentTargetOf(grantee);
    if (fn !== undefined) registerResultStore(fn, this, this.clientEnvironment);
    return grant;
  }

  /**
   * Lets `grantee` do what a producer writes to the table besides sending: save a group's members
   * (`chord(...).applyAsync()`, a chain that runs a group before a step, `GroupResult.save()`) and store
   * REVOKED (`app.revoke()`, `GroupResult.revoke()`).
   *
   * Adds exactly: `dynamodb:PutItem` and `dynamodb:UpdateItem` on the table (a revoke of a task that already
   * has a record updates it); with `encryptionKey`, `kms:Encrypt`, `kms:Decrypt`, `kms:GenerateDataKey` on
   * the key. A `lambda.Function` grantee also gets the store's {@link ResultStore.clientEnvironment}. It can
   * then write any item of the table, as a worker can: give it to producers trusted that far.
   */
  grantSaveGroupsAndRevoke(grantee: iam.IGrantable): iam.Grant {
    return this.grantStore(
      grantee,
      ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      [],
      ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
    );
  }

  /**
   * Lets `grantee` connect Python Celery's `dynamodb://` result backend to this table: before its first read or
   * write it describes the table (creating it only when missing) and, with `ttl_seconds` in the URL, its time
   * to live (updating it only when it differs: the table's TTL attribute is `ttl`, Celery's default). Give it
   * with `grantReadResults` to a Python producer, with `grantWriteResults` to a Python worker.
   *
   * Adds exactly: `dynamodb:DescribeTable` and `dynamodb:DescribeTimeToLive` on the table.
   */
  grantPythonCeleryBackend(grantee: iam.IGrantable): iam.Grant {
    return this.grantStore(grantee, ['dynamodb:DescribeTable', 'dynamodb:DescribeTimeToLive'], [], []);
  }

  /**
   * Lets `grantee` read task states and results (`AsyncResult.get()`, including large results in S3).
   *
   * Adds exactly: `dynamodb:GetItem` and `dynamodb:BatchGetItem` (a `GroupResult`'s states, 100 members a
   * request) on the table; `s3:GetObject` on `<bucket>/<payloadPrefix>*`; with
   * `encryptionKey`, `kms:Decrypt` on the key. A `lambda.Function` grantee also gets the store's
   * {@link ResultStore.clientEnvironment}.
   */
  grantReadResults(grantee: iam.IGrantable): iam.Grant {
    return this.grantStore(
      grantee,
      ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
      ['s3:GetObject'],
      ['kms:Decrypt'],
    );
  }

  /**
   * Lets `grantee` delete stored results (`AsyncResult.forget()`), including their payloads in S3.
   *
   * Adds exactly: `dynamodb:DeleteItem` on the table; `s3:DeleteObject` on `<bucket>/<payloadPrefix>*`; and
   * `s3:ListBucket` on the bucket, limited by an `s3:prefix` condition to `<payloadPrefix>*` (forget lists a
   * task's payload keys, `<payloadPrefix><task id>/`, to delete them); with `encryptionKey`, `kms:Decrypt` on
   * the key. A `lambda.Function` grantee also gets the store's {@link ResultStore.clientEnvironment}.
   */
  grantForgetResults(grantee: iam.IGrantable): iam.Grant {
    const listing = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: ['s3:ListBucket'],
      resourceArns: [this.bucket.bucketArn],
      resource: this.bucket,
      conditions: { StringLike: { 's3:prefix': [`${this.payloadPrefix}*`] } },
    });
    return this.grantStore(grantee, ['dynamodb:DeleteItem'], ['s3:DeleteObject'], ['kms:Decrypt']).combine(
      listing,
    );
  }

  /**
   * Lets `grantee` act as a worker: claim task ids, store states and results, update chord counters, and read,
   * write and delete payloads.
   *
   * Adds exactly: `dynamodb:GetItem`, `dynamodb:PutItem`, `dynamodb:UpdateItem`, `dynamodb:DeleteItem`,
   * `dynamodb:BatchGetItem` (a chord's joining worker reads its members' results 100 at a time) and
   * `dynamodb:BatchWriteItem` (the results of `guarantee: 'bulk'` tasks, 25 at a time) on the table;
   * `s3:GetObject`, `s3:PutObject`, `s3:DeleteObject` on `<bucket>/<payloadPrefix>*`; with `encryptionKey`,
   * `kms:Encrypt`, `kms:Decrypt`, `kms:GenerateDataKey` on the key; with `taskIndex`, `dynamodb:Query` on the
   * `celeriac-by-state` index (the worker registry's control records). A `lambda.Function` grantee also gets the
   * store's {@link ResultStore.clientEnvironment}.
   */
  grantWriteResults(grantee: iam.IGrantable): iam.Grant {
    const grant = this.grantStore(
      grantee,
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
      ],
      ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
    );
    if (!this.taskIndex) return grant;
    // The worker registry: workers read control records from the state index at each heartbeat.
    return grant.combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['dynamodb:Query'],
        resourceArns: [`${this.table.tableArn}/index/${TASK_INDEX.BY_STATE}`],
      }),
    );
  }

  /**
   * Lets `grantee` upload the arguments of tasks too large for an SQS message (what a producer needs besides
   * `TaskQueue.grantSendTasks`).
   *
   * Adds exactly: `s3:PutObject` on `<bucket>/<payloadPrefix>*`; with `encryptionKey`, `kms:GenerateDataKey`
   * on the key. A `lambda.Function` grantee also gets the store's {@link ResultStore.clientEnvironment}.
   */
  grantWritePayloads(grantee: iam.IGrantable): iam.Grant {
    return this.grantStore(grantee, [], ['s3:PutObject'], ['kms:GenerateDataKey']);
  }

  private grantStore(
    grantee: iam.IGrantable,
    tableActions: readonly string[],
    objectActions: readonly string[],
    keyActions: readonly string[],
  ): iam.Grant {
    const grants: iam.Grant[] = [];
    if (tableActions.length > 0) {
      // Table.grant would add `<table>/index/*` once the task index exists; no item action needs the indexes.
      grants.push(
        this.taskIndex
          ? iam.Grant.addToPrincipal({
              grantee,
              actions: [...tableActions],
              resourceArns: [this.table.tableArn],
            })
          : this.table.grant(grantee, ...tableActions),
      );
    }
    if (objectActions.length > 0) {
      grants.push(
        iam.Grant.addToPrincipalOrResource({
          grantee,
          actions: [...objectActions],
          resourceArns: [this.bucket.arnForObjects(`${this.payloadPrefix}*`)],
          resource: this.bucket,
        }),
      );
      this.acknowledgePayloadWildcard(grantee);
    }
    if (this.encryptionKey !== undefined && keyActions.length > 0) {
      grants.push(this.encryptionKey.grant(grantee, ...keyActions));
    }
    const fn = environmentTargetOf(grantee);
    if (fn !== undefined) registerResultStore(fn, this, this.clientEnvironment);
    return grants.reduce((all, grant) => all.combine(grant));
  }

  /**
   * The object grants end in `<payloadPrefix>*`, which cdk-nag's AwsSolutions-IAM5 reports on the grantee's
   * policy. Acknowledge that one finding where the policy lives (the grantee's role).
   */
  private acknowledgePayloadWildcard(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    const target = Construct.isConstruct(principal)
      ? principal
      : Construct.isConstruct(grantee)
        ? grantee
        : null;
    if (target === null || this.acknowledged.has(target) || Stack.of(target) !== Stack.of(this)) return;
    this.acknowledged.add(target);
    const cfnBucket = this.bucket.node.defaultChild as s3.CfnBucket;
    const logicalId: unknown = Stack.of(this).resolve(cfnBucket.logicalId);
    Validations.of(target).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${String(logicalId)}.Arn>/${this.payloadPrefix}*]`,
      reason:
        `Payload objects are keyed by task id under '${this.payloadPrefix}', so the principal must reach any ` +
        'key under that prefix; the wildcard covers only that prefix of the celeriac payload bucket.',
    });
  }
}

function defaultPayloadExpiration(ttlSeconds: number | undefined): Duration {
  if (ttlSeconds === undefined) return DEFAULT_PAYLOAD_EXPIRATION;
  const ttlDays = Math.ceil(ttlSeconds / SECONDS_PER_DAY);
  return ttlDays > DEFAULT_PAYLOAD_EXPIRATION.toDays() ? Duration.days(ttlDays) : DEFAULT_PAYLOAD_EXPIRATION;
}

function ttlSecondsString(ttl: Duration): string {
  const seconds = secondsOf(ttl);
  return seconds === undefined ? Token.asString(ttl.toSeconds()) : String(seconds);
}
