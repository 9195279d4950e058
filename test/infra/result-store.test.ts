import { Duration, RemovalPolicy, type Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { CeleriacConfigurationError, ResultStore, type ResultStoreProps } from '../../infra/index.js';
import { ENV } from '../../src/config/env.js';
import { isCeleriacError } from '../../src/protocol/errors.js';
import {
  callerFunction,
  logicalIdOf,
  newStack,
  pairs,
  rendered,
  testGrant,
  WORKER_TABLE_ACTIONS,
} from './helpers.js';

function store(props: ResultStoreProps = {}): { stack: Stack; results: ResultStore; template: Template } {
  const stack = newStack();
  const results = new ResultStore(stack, 'Results', props);
  return { stack, results, template: Template.fromStack(stack) };
}

describe('ResultStore defaults', () => {
  const { stack, results, template } = store();

  it('creates one table in Celery DynamoDB backend schema: partition key id (S), no sort key', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    });
  });

  it('bills on demand, has TTL on `ttl`, point-in-time recovery and AWS managed encryption', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
    });
  });

  it('retains the table and the bucket when they leave the stack', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('creates one payload bucket: SSE-S3, all public access blocked, unversioned, no access logs', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: Match.absent(),
      LoggingConfiguration: Match.absent(),
    });
  });

  it('expires payloads under celeriac/ after 14 days and aborts incomplete uploads after 1 day', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          { Id: 'ExpirePayloads', Prefix: 'celeriac/', ExpirationInDays: 14, Status: 'Enabled' },
          { Id: 'AbortIncompleteUploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
        ],
      },
    });
  });

  it('refuses requests without TLS in the bucket policy', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('exposes its prefix, expiry and environment, without a TTL variable', () => {
    expect(results.payloadPrefix).toBe('celeriac/');
    expect(results.payloadExpiration.toDays()).toBe(14);
    expect(results.resultTtl).toBeUndefined();
    expect(stack.resolve(results.clientEnvironment)).toEqual({
      [ENV.RESULT_TABLE]: stack.resolve(results.table.tableName),
      [ENV.PAYLOAD_BUCKET]: stack.resolve(results.payloadBucket.bucketName),
      [ENV.PAYLOAD_PREFIX]: 'celeriac/',
    });
  });

  it('acknowledges the missing server access logs with a reason', () => {
    const acknowledged = results.payloadBucket.node.metadata.find(
      (entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY,
    );
    expect(acknowledged?.data).toEqual({ 'Annotation::AwsSolutions-S1': expect.stringMatching(/opt-in/) });
  });
});

describe('ResultStore props', () => {
  it('encrypts the table and the bucket with the customer key it is given', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    new ResultStore(stack, 'Results', { encryptionKey: key });
    const template = Template.fromStack(stack);
    const keyArn = stack.resolve(key.keyArn);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn },
          },
        ],
      },
    });
  });

  it('applies the removal policy to both the table and the bucket', () => {
    const { template } = store({ removalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
  });

  it('versions the bucket on request and then expires non-current versions after a day', () => {
    const { template } = store({ versioned: true });
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'ExpirePayloads', NoncurrentVersionExpiration: { NoncurrentDays: 1 } }),
        ]),
      },
    });
  });

  it('uses a custom payload prefix and expiry in the lifecycle rule', () => {
    const { template, results } = store({
      payloadPrefix: 'jobs/payloads/',
      payloadExpiration: Duration.days(30),
    });
    expect(results.payloadPrefix).toBe('jobs/payloads/');
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'ExpirePayloads', Prefix: 'jobs/payloads/', ExpirationInDays: 30 }),
        ]),
      },
    });
  });

  it('sends server access logs to the given bucket, and then does not acknowledge AwsSolutions-S1', () => {
    const stack = newStack();
    const logs = new s3.Bucket(stack, 'Logs');
    const results = new ResultStore(stack, 'Results', {
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'payloads/',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: {
        DestinationBucketName: stack.resolve(logs.bucketName),
        LogFilePrefix: 'payloads/',
      },
    });
    const acknowledged = results.payloadBucket.node.metadata.filter(
      (entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY,
    );
    expect(acknowledged).toEqual([]);
  });

  it('passes resultTtl to clients as whole seconds', () => {
    const { stack, results } = store({ resultTtl: Duration.hours(6) });
    expect(stack.resolve(results.clientEnvironment)[ENV.RESULT_TTL_SECONDS]).toBe('21600');
  });

  it('keeps payloads at least as long as results when resultTtl is longer than 14 days', () => {
    const longTtl = store({ resultTtl: Duration.days(30) });
    expect(longTtl.results.payloadExpiration.toDays()).toBe(30);
    longTtl.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30 })]) },
    });
    expect(store({ resultTtl: Duration.hours(36 * 24 + 1) }).results.payloadExpiration.toDays()).toBe(37);
    expect(store({ resultTtl: Duration.days(2) }).results.payloadExpiration.toDays()).toBe(14);
  });
});

describe('ResultStore grants', () => {
  function setup(props: ResultStoreProps = {}): { stack: Stack; results: ResultStore } {
    const stack = newStack();
    return { stack, results: new ResultStore(stack, 'Results', props) };
  }
  function setupKeyed(): { stack: Stack; results: ResultStore; key: kms.Key } {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    return { stack, results: new ResultStore(stack, 'Results', { encryptionKey: key }), key };
  }
  const objects = (results: ResultStore) => results.payloadBucket.arnForObjects('celeriac/*');
  const environment = (stack: Stack, results: ResultStore) => ({
    [ENV.RESULT_TABLE]: rendered(stack, results.table.tableName),
    [ENV.PAYLOAD_BUCKET]: rendered(stack, results.payloadBucket.bucketName),
    [ENV.PAYLOAD_PREFIX]: 'celeriac/',
  });

  it('grantReadResults: dynamodb:GetItem and BatchGetItem on the table and s3:GetObject under the prefix', () => {
    const { stack, results } = setup();
    testGrant(
      stack,
      (fn) => results.grantReadResults(fn),
      [
        ...pairs(stack, ['dynamodb:GetItem', 'dynamodb:BatchGetItem'], [results.table.tableArn]),
        ...pairs(stack, ['s3:GetObject'], [objects(results)]),
      ],
      environment(stack, results),
    );
  });

  it('grantReadResults with a key: also kms:Decrypt on the key', () => {
    const { stack, results, key } = setupKeyed();
    testGrant(stack, (fn) => results.grantReadResults(fn), [
      ...pairs(stack, ['dynamodb:GetItem', 'dynamodb:BatchGetItem'], [results.table.tableArn]),
      ...pairs(stack, ['s3:GetObject'], [objects(results)]),
      ...pairs(stack, ['kms:Decrypt'], [key.keyArn]),
    ]);
  });

  it('grantForgetResults: dynamodb:DeleteItem on the table, s3:DeleteObject under the prefix and a prefix-limited s3:ListBucket', () => {
    const { stack, results } = setup();
    testGrant(
      stack,
      (fn) => results.grantForgetResults(fn),
      [
        ...pairs(stack, ['dynamodb:DeleteItem'], [results.table.tableArn]),
        ...pairs(stack, ['s3:DeleteObject'], [objects(results)]),
        ...pairs(stack, ['s3:ListBucket'], [results.payloadBucket.bucketArn]),
      ],
      environment(stack, results),
    );
  });

  it('grantForgetResults with a key: also kms:Decrypt, which DynamoDB asks of the caller on a customer managed key', () => {
    const { stack, results, key } = setupKeyed();
    testGrant(stack, (fn) => results.grantForgetResults(fn), [
      ...pairs(stack, ['dynamodb:DeleteItem'], [results.table.tableArn]),
      ...pairs(stack, ['s3:DeleteObject'], [objects(results)]),
      ...pairs(stack, ['s3:ListBucket'], [results.payloadBucket.bucketArn]),
      ...pairs(stack, ['kms:Decrypt'], [key.keyArn]),
    ]);
  });

  it('grantSaveGroupsAndRevoke: only PutItem and UpdateItem on the table, for chords, saved groups and revokes', () => {
    const { stack, results } = setup();
    testGrant(
      stack,
      (fn) => results.grantSaveGroupsAndRevoke(fn),
      pairs(stack, ['dynamodb:PutItem', 'dynamodb:UpdateItem'], [results.table.tableArn]),
      environment(stack, results),
    );
  });

  it('grantSaveGroupsAndRevoke with a key: also kms:Encrypt, kms:Decrypt and kms:GenerateDataKey', () => {
    const { stack, results, key } = setupKeyed();
    testGrant(stack, (fn) => results.grantSaveGroupsAndRevoke(fn), [
      ...pairs(stack, ['dynamodb:PutItem', 'dynamodb:UpdateItem'], [results.table.tableArn]),
      ...pairs(stack, ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'], [key.keyArn]),
    ]);
  });

  it("grantPythonCeleryBackend: the DescribeTable and DescribeTimeToLive Celery's dynamodb:// backend calls on connecting", () => {
    const { stack, results } = setupKeyed();
    testGrant(
      stack,
      (fn) => results.grantPythonCeleryBackend(fn),
      pairs(stack, ['dynamodb:DescribeTable', 'dynamodb:DescribeTimeToLive'], [results.table.tableArn]),
      environment(stack, results),
    );
  });

  it('grantWriteResults: item reads and writes, payload reads, writes and deletes', () => {
    const { stack, results } = setup();
    testGrant(
      stack,
      (fn) => results.grantWriteResults(fn),
      [
        ...pairs(stack, WORKER_TABLE_ACTIONS, [results.table.tableArn]),
        ...pairs(stack, ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [objects(results)]),
      ],
      environment(stack, results),
    );
  });

  it('grantWriteResults with a key: also kms:Encrypt, kms:Decrypt and kms:GenerateDataKey', () => {
    const { stack, results, key } = setupKeyed();
    testGrant(stack, (fn) => results.grantWriteResults(fn), [
      ...pairs(stack, WORKER_TABLE_ACTIONS, [results.table.tableArn]),
      ...pairs(stack, ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [objects(results)]),
      ...pairs(stack, ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'], [key.keyArn]),
    ]);
  });

  it('grantWritePayloads: only s3:PutObject under the prefix, and no table access', () => {
    const { stack, results } = setup();
    testGrant(
      stack,
      (fn) => results.grantWritePayloads(fn),
      pairs(stack, ['s3:PutObject'], [objects(results)]),
      environment(stack, results),
    );
  });

  it('grantWritePayloads with a key: also kms:GenerateDataKey', () => {
    const { stack, results, key } = setupKeyed();
    testGrant(stack, (fn) => results.grantWritePayloads(fn), [
      ...pairs(stack, ['s3:PutObject'], [objects(results)]),
      ...pairs(stack, ['kms:GenerateDataKey'], [key.keyArn]),
    ]);
  });

  it('scopes object grants to a custom prefix and sets the result TTL variable when results expire', () => {
    const { stack, results } = setup({ payloadPrefix: 'tasks/', resultTtl: Duration.days(1) });
    testGrant(
      stack,
      (fn) => results.grantWritePayloads(fn),
      pairs(stack, ['s3:PutObject'], [results.payloadBucket.arnForObjects('tasks/*')]),
      {
        [ENV.RESULT_TABLE]: rendered(stack, results.table.tableName),
        [ENV.PAYLOAD_BUCKET]: rendered(stack, results.payloadBucket.bucketName),
        [ENV.PAYLOAD_PREFIX]: 'tasks/',
        [ENV.RESULT_TTL_SECONDS]: '86400',
      },
    );
  });

  it('grants a plain role the same rights without touching any function environment', () => {
    const { stack, results } = setup();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    expect(results.grantReadResults(role).success).toBe(true);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'] }),
        ]),
      },
    });
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('acknowledges the payload-prefix wildcard on the grantee, naming the exact resource', () => {
    const { stack, results } = setup();
    const fn = callerFunction(stack);
    results.grantReadResults(fn);
    const role = fn.role;
    if (role === undefined) throw new Error('the test function has no role');
    const ids = role.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.keys(entry.data as object));
    expect(ids).toEqual([
      `Annotation::AwsSolutions-IAM5[Resource::<${logicalIdOf(results.payloadBucket)}.Arn>/celeriac/*]`,
    ]);
  });

  it('refuses to give one function a second result store', () => {
    const stack = newStack();
    const first = new ResultStore(stack, 'First');
    const second = new ResultStore(stack, 'Second');
    const fn = callerFunction(stack);
    first.grantReadResults(fn);
    first.grantWriteResults(fn);
    expect(() => second.grantReadResults(fn)).toThrow(
      /ResultStore Demo\/Second: `grantee` \(Demo\/Caller\) was already granted access to Demo\/First/,
    );
  });
});

describe('ResultStore validation', () => {
  const build = (props: ResultStoreProps) => () => new ResultStore(newStack(), 'Results', props);

  it.each([
    ['no trailing slash', 'celeriac'],
    ['a leading slash', '/celeriac/'],
    ['an IAM wildcard', 'celeriac*/'],
    ['an empty segment', 'a//b/'],
    ['nothing at all', ''],
  ])('refuses a payload prefix with %s', (_, payloadPrefix) => {
    expect(build({ payloadPrefix })).toThrow(
      `ResultStore Demo/Results: \`payloadPrefix\` (${JSON.stringify(payloadPrefix)}) must be letters`,
    );
  });

  it('refuses a resultTtl under one second or in fractions of a second', () => {
    expect(build({ resultTtl: Duration.seconds(0) })).toThrow(/`resultTtl` \(0 s\) must be at least 1 s/);
    expect(build({ resultTtl: Duration.millis(1500) })).toThrow(
      /`resultTtl` \(1\.5 s\) must be a whole number of seconds/,
    );
  });

  it('refuses a payloadExpiration that is not a whole number of days, or under a day', () => {
    expect(build({ payloadExpiration: Duration.hours(36) })).toThrow(
      /`payloadExpiration` \(129600 s = 1 day 12 hours\) must be a whole number of days/,
    );
    expect(build({ payloadExpiration: Duration.days(0) })).toThrow(
      /`payloadExpiration` \(0 s\) must be at least/,
    );
  });

  it('refuses a payloadExpiration shorter than resultTtl', () => {
    expect(build({ resultTtl: Duration.days(30), payloadExpiration: Duration.days(7) })).toThrow(
      /`payloadExpiration` \(604800 s = 7 days\) must be at least `resultTtl` \(2592000 s = 30 days\)/,
    );
  });

  it('throws a CeleriacConfigurationError that names the construct, the prop and the value', () => {
    let caught: unknown;
    try {
      build({ payloadPrefix: 'x' })();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CeleriacConfigurationError);
    expect(isCeleriacError(caught)).toBe(true);
    expect(caught).toMatchObject({
      name: 'CeleriacConfigurationError',
      constructPath: 'Demo/Results',
      prop: 'payloadPrefix',
      value: '"x"',
    });
  });
});

describe('ResultStore forget grant condition', () => {
  it('limits s3:ListBucket to the payload prefix', () => {
    const stack = newStack();
    const results = new ResultStore(stack, 'Results');
    const fn = callerFunction(stack, 'Forgetter');
    results.grantForgetResults(fn);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:ListBucket',
            Condition: { StringLike: { 's3:prefix': ['celeriac/*'] } },
          }),
        ]),
      },
    });
  });
});

describe('ResultStore provisionedCapacity', () => {
  const capacity = {
    writeUnits: { min: 5, max: 500 },
    readUnits: { min: 2, max: 100 },
  } as const;

  it('provisions the table at the minimum and scales each capacity at 70 % utilization', () => {
    const { template } = store({ provisionedCapacity: capacity });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: Match.absent(),
      ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 5 },
    });
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 2);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ScalableDimension: 'dynamodb:table:WriteCapacityUnits',
      MinCapacity: 5,
      MaxCapacity: 500,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ScalableDimension: 'dynamodb:table:ReadCapacityUnits',
      MinCapacity: 2,
      MaxCapacity: 100,
    });
    const policies = Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'));
    expect(
      policies
        .map((p) => p.Properties.TargetTrackingScalingPolicyConfiguration)
        .map((c) => [c.PredefinedMetricSpecification.PredefinedMetricType, c.TargetValue]),
    ).toEqual(
      expect.arrayContaining([
        ['DynamoDBWriteCapacityUtilization', 70],
        ['DynamoDBReadCapacityUtilization', 70],
      ]),
    );
    expect(policies).toHaveLength(2);
  });

  it('gives the task index the same capacity and scaling, and takes another target utilization', () => {
    const { template } = store({
      taskIndex: true,
      provisionedCapacity: { ...capacity, targetUtilizationPercent: 50 },
    });
    const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));
    const indexes = table?.Properties.GlobalSecondaryIndexes as { ProvisionedThroughput: unknown }[];
    expect(indexes).toHaveLength(2);
    for (const index of indexes) {
      expect(index.ProvisionedThroughput).toEqual({ ReadCapacityUnits: 2, WriteCapacityUnits: 5 });
    }
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 6);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ScalableDimension: 'dynamodb:index:WriteCapacityUnits',
      ResourceId: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('celeriac-by-state')])],
      }),
    });
    const targets = Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy')).map(
      (p) => p.Properties.TargetTrackingScalingPolicyConfiguration.TargetValue,
    );
    expect(targets).toEqual([50, 50, 50, 50, 50, 50]);
  });

  it('fixes the capacity without auto scaling when min equals max', () => {
    const { template } = store({
      provisionedCapacity: { writeUnits: { min: 10, max: 10 }, readUnits: { min: 3, max: 3 } },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 10 },
    });
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });

  it('refuses ranges that are not whole units from 1 to 40,000 with max at least min, and targets outside 20-90', () => {
    const build = (provisionedCapacity: ResultStoreProps['provisionedCapacity']) => () =>
      new ResultStore(newStack(), 'Results', { provisionedCapacity });
    expect(build({ ...capacity, writeUnits: { min: 0, max: 5 } })).toThrow(
      /`provisionedCapacity\.writeUnits\.min` \(0\) must be a whole number from 1 to 40000/,
    );
    expect(build({ ...capacity, readUnits: { min: 10, max: 5 } })).toThrow(
      /`provisionedCapacity\.readUnits\.max` \(5\) must be a whole number from 10 to 40000: auto scaling keeps the capacity between `min` \(10\) and `max`/,
    );
    expect(build({ ...capacity, writeUnits: { min: 1.5, max: 5 } })).toThrow(
      /`provisionedCapacity\.writeUnits\.min` \(1\.5\)/,
    );
    expect(build({ ...capacity, writeUnits: { min: 1, max: 50_000 } })).toThrow(
      /`provisionedCapacity\.writeUnits\.max` \(50000\)/,
    );
    expect(build({ ...capacity, targetUtilizationPercent: 95 })).toThrow(
      /`provisionedCapacity\.targetUtilizationPercent` \(95\) must be a whole number from 20 to 90/,
    );
    expect(build(capacity)).not.toThrow();
  });
});
