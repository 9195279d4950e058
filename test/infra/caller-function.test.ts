/**
 * CallerFunction: a function that sends tasks and waits for results, with defaults that let it wait (Node 24,
 * arm64, a 30 s timeout, local esbuild bundling) and the grants of the queues and result store it names.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { CallerFunction, CeleriacConfigurationError, ResultStore, TaskQueue } from '../../infra/index.js';
import { ENV } from '../../src/config/env.js';
import {
  allowedPairs,
  callerFunction,
  environmentOf,
  logicalIdOf,
  newStack,
  pairs,
  rendered,
  WORKER_ENTRY,
} from './helpers.js';

function deployment(
  extra: (parts: {
    stack: ReturnType<typeof newStack>;
    tasks: TaskQueue;
    reports: TaskQueue;
    results: ResultStore;
  }) => void = () => undefined,
) {
  const stack = newStack();
  const results = new ResultStore(stack, 'Results');
  const tasks = new TaskQueue(stack, 'Tasks', { resultStore: results, worker: { entry: WORKER_ENTRY } });
  const reports = new TaskQueue(stack, 'Reports', {
    celeryQueueName: 'reports',
    resultStore: results,
    worker: { entry: WORKER_ENTRY },
  });
  const api = new CallerFunction(stack, 'Api', {
    entry: WORKER_ENTRY,
    sendsTo: [tasks, reports],
    resultStore: results,
  });
  extra({ stack, tasks, reports, results });
  return { stack, results, tasks, reports, api, template: Template.fromStack(stack) };
}

describe('CallerFunction', () => {
  it('defaults to Node.js 24 on arm64 with a 30 s timeout, so a caller can wait for a result', () => {
    const { template, api } = deployment();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 30,
      MemorySize: 512,
    });
    expect(api.function.runtime.name).toBe('nodejs24.x');
  });

  it('tells the function every queue it sends to, its default queue and the result store', () => {
    const { stack, template, api, tasks, reports, results } = deployment();
    expect(environmentOf(template, logicalIdOf(api.function))).toEqual({
      [ENV.QUEUE_URLS]: JSON.stringify({
        celery: rendered(stack, tasks.queue.queueUrl),
        reports: rendered(stack, reports.queue.queueUrl),
      }),
      [ENV.DEFAULT_QUEUE]: 'celery',
      [ENV.RESULT_TABLE]: rendered(stack, results.table.tableName),
      [ENV.PAYLOAD_BUCKET]: rendered(stack, results.payloadBucket.bucketName),
      [ENV.PAYLOAD_PREFIX]: 'celeriac/',
    });
  });

  it('gets exactly its log group, plus what the grants of its queues and result store give any function', () => {
    let plain: lambda.Function | undefined;
    const { stack, template, api } = deployment(({ stack, tasks, reports, results }) => {
      plain = callerFunction(stack, 'Plain');
      tasks.grantSendTasks(plain);
      reports.grantSendTasks(plain);
      results.grantReadResults(plain);
      results.grantWritePayloads(plain);
    });
    if (!plain) throw new Error('no reference function');
    const logGroups = Object.keys(template.findResources('AWS::Logs::LogGroup')).filter((id) =>
      id.startsWith('Api'),
    );
    expect(logGroups).toHaveLength(1);
    const grants = allowedPairs(template, logicalIdOf(plain.role as iam.Role));
    expect(grants.filter((pair) => pair.startsWith('sqs:SendMessage'))).toHaveLength(2);
    expect(allowedPairs(template, logicalIdOf(api.function.role as iam.Role))).toEqual(
      [
        ...pairs(
          stack,
          ['logs:CreateLogStream', 'logs:PutLogEvents'],
          [{ 'Fn::GetAtt': [logGroups[0], 'Arn'] }],
        ),
        ...grants,
      ].sort(),
    );
  });

  it('with savesGroupsAndRevokes, also gets grantSaveGroupsAndRevoke, which a chord or app.revoke() needs', () => {
    const stack = newStack();
    const results = new ResultStore(stack, 'Results');
    const tasks = new TaskQueue(stack, 'Tasks', { resultStore: results, worker: { entry: WORKER_ENTRY } });
    const plain = callerFunction(stack, 'Plain');
    results.grantSaveGroupsAndRevoke(plain);
    const api = new CallerFunction(stack, 'Api', {
      entry: WORKER_ENTRY,
      sendsTo: [tasks],
      resultStore: results,
      savesGroupsAndRevokes: true,
    });
    const template = Template.fromStack(stack);
    const granted = allowedPairs(template, logicalIdOf(api.function.role as iam.Role));
    const writes = allowedPairs(template, logicalIdOf(plain.role as iam.Role));
    expect(writes).toHaveLength(2);
    expect(granted).toEqual(expect.arrayContaining(writes));
    const without = deployment().template;
    const apiRole = Object.keys(without.findResources('AWS::IAM::Role')).find((id) =>
      id.startsWith('ApiRole'),
    );
    expect(apiRole).toBeDefined();
    expect(allowedPairs(without, apiRole as string).some((pair) => pair.startsWith('dynamodb:PutItem'))).toBe(
      false,
    );
    expect(
      () => new CallerFunction(stack, 'Alone', { entry: WORKER_ENTRY, savesGroupsAndRevokes: true }),
    ).toThrow(/savesGroupsAndRevokes.*needs `resultStore`/s);
  });

  it('refuses environment variables that its grants set, which they would silently replace', () => {
    const stack = newStack();
    for (const name of [ENV.QUEUE_URLS, ENV.RESULT_TABLE, ENV.TASK_INDEX]) {
      expect(
        () => new CallerFunction(stack, `Env${name}`, { entry: WORKER_ENTRY, environment: { [name]: 'x' } }),
      ).toThrow(`\`environment\` (${name}) is set by celeriac`);
    }
    expect(
      () =>
        new CallerFunction(stack, 'Plain', {
          entry: WORKER_ENTRY,
          environment: { CELERIAC_LOG_FORMAT: 'json' },
        }),
    ).not.toThrow();
  });

  it('refuses a runtime older than Node.js 22, naming the prop and the fix', () => {
    const stack = newStack();
    expect(
      () => new CallerFunction(stack, 'Old', { entry: WORKER_ENTRY, runtime: lambda.Runtime.NODEJS_18_X }),
    ).toThrow(CeleriacConfigurationError);
    expect(
      () => new CallerFunction(stack, 'Old2', { entry: WORKER_ENTRY, runtime: lambda.Runtime.NODEJS_18_X }),
    ).toThrow(/runtime.*nodejs18\.x.*Node\.js runtime of major version 22 or later/s);
    expect(
      () => new CallerFunction(stack, 'Long', { entry: WORKER_ENTRY, timeout: Duration.minutes(16) }),
    ).toThrow(/timeout.*at most 15 minutes/s);
  });

  it('passes cdk-nag, acknowledging only the pinned runtime and the payload prefix, each with a reason', () => {
    const { stack } = deployment();
    const report = new AwsSolutionsChecks().validateScope(stack.node.root);
    expect(report.violations).toEqual([]);
    const acknowledged: string[] = [];
    for (const construct of stack.node.findAll()) {
      if (!construct.node.path.startsWith('Demo/Api')) continue;
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          acknowledged.push(`${construct.node.path} ${id.replace(/^Annotation::/, '').split('[')[0]}`);
          expect(reason.length).toBeGreaterThan(100);
        }
      }
    }
    expect(acknowledged.sort()).toEqual([
      'Demo/Api/Function AwsSolutions-L1',
      'Demo/Api/Role AwsSolutions-IAM5',
    ]);
  });
});
