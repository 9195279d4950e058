/** The task index on the ResultStore: two sparse GSIs, the environment that turns indexing on, the query grant. */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { CeleriacConfigurationError, ResultStore, TaskQueue } from '../../infra/index.js';
import { ENV } from '../../src/config/env.js';
import { TASK_INDEX } from '../../src/config/task-index.js';
import {
  callerFunction,
  environmentOf,
  logicalIdOf,
  newStack,
  pairs,
  testGrant,
  WORKER_ENTRY,
  WORKER_TABLE_ACTIONS,
} from './helpers.js';

describe('ResultStore taskIndex', () => {
  it('adds no index by default, and tells workers nothing about one', () => {
    const stack = newStack();
    const results = new ResultStore(stack, 'Results');
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.absent(),
    });
    expect(results.clientEnvironment[ENV.TASK_INDEX]).toBeUndefined();
    expect(() => results.grantQueryTaskIndex(callerFunction(stack))).toThrow(CeleriacConfigurationError);
  });

  it('adds the by-state and by-name indexes, keyed <value>#<shard> and sorted by timestamp, projecting only keys', () => {
    const stack = newStack();
    new ResultStore(stack, 'Results', { taskIndex: true });
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: TASK_INDEX.STATE_KEY, AttributeType: 'S' },
        { AttributeName: TASK_INDEX.SORT_KEY, AttributeType: 'N' },
        { AttributeName: TASK_INDEX.NAME_KEY, AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'celeriac-by-state',
          KeySchema: [
            { AttributeName: 'idx_state', KeyType: 'HASH' },
            { AttributeName: 'timestamp', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['idx_name', 'monitoring'] },
        },
        {
          IndexName: 'celeriac-by-name',
          KeySchema: [
            { AttributeName: 'idx_name', KeyType: 'HASH' },
            { AttributeName: 'timestamp', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['idx_state'] },
        },
      ],
    });
  });

  it('sets CELERIAC_TASK_INDEX on the worker functions it grants to', () => {
    const stack = newStack();
    const results = new ResultStore(stack, 'Results', { taskIndex: true });
    const queue = new TaskQueue(stack, 'Tasks', { resultStore: results, worker: { entry: WORKER_ENTRY } });
    const env = environmentOf(Template.fromStack(stack), logicalIdOf(queue.workerFunction));
    expect(env[ENV.TASK_INDEX]).toBe('true');
  });

  it('grantQueryTaskIndex adds exactly dynamodb:Query on the two indexes', () => {
    const stack = newStack();
    const results = new ResultStore(stack, 'Results', { taskIndex: true });
    testGrant(
      stack,
      (fn) => results.grantQueryTaskIndex(fn),
      pairs(
        stack,
        ['dynamodb:Query'],
        [TASK_INDEX.BY_STATE, TASK_INDEX.BY_NAME].map((name) => `${results.table.tableArn}/index/${name}`),
      ),
    );
  });

  it('grantQueryTaskIndex on a customer managed key adds kms:Decrypt on it, which DynamoDB asks of the caller', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const results = new ResultStore(stack, 'Results', { taskIndex: true, encryptionKey: key });
    testGrant(stack, (fn) => results.grantQueryTaskIndex(fn), [
      ...pairs(
        stack,
        ['dynamodb:Query'],
        [TASK_INDEX.BY_STATE, TASK_INDEX.BY_NAME].map((name) => `${results.table.tableArn}/index/${name}`),
      ),
      ...pairs(stack, ['kms:Decrypt'], [key.keyArn]),
    ]);
  });

  it('grantWriteResults adds dynamodb:Query on the state index, for control records, and nothing on the name index', () => {
    const stack = newStack();
    const results = new ResultStore(stack, 'Results', { taskIndex: true });
    const table = results.table.tableArn;
    testGrant(stack, (fn) => results.grantWriteResults(fn), [
      ...pairs(stack, WORKER_TABLE_ACTIONS, [table]),
      ...pairs(stack, ['dynamodb:Query'], [`${table}/index/${TASK_INDEX.BY_STATE}`]),
      ...pairs(
        stack,
        ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        [results.payloadBucket.arnForObjects('celeriac/*')],
      ),
    ]);
  });

  it('passes the cdk-nag AwsSolutions checks with the index and a querying function', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Indexed');
    const results = new ResultStore(stack, 'Results', { taskIndex: true });
    new TaskQueue(stack, 'Tasks', { resultStore: results, worker: { entry: WORKER_ENTRY } });
    const dashboard = new lambda.Function(stack, 'Dashboard', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => null;'),
      role: new iam.Role(stack, 'DashboardRole', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      }),
    });
    results.grantQueryTaskIndex(dashboard);
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });
});
