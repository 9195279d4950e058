import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { PeriodicTasks, ResultStore, TaskQueue } from '../../infra/index.js';
import { createApp, crontab, every } from '../../src/index.js';
import { createMemoryTransport } from '../../src/memory/index.js';
import { logicalIdOf, WORKER_ENTRY } from './helpers.js';

/**
 * What a deployment of celeriac looks like: a result store, a standard and a KMS-encrypted FIFO task queue (each
 * with a priority queue),
 * periodic tasks sent to the standard queue, signing keys from Secrets Manager for the standard queue's worker,
 * and a caller function that sends to both queues, reads results and uploads large arguments. The caller is the user's own code; it uses the newest runtime and a role of its own so
 * that every finding is the constructs'.
 */
function representativeApp(): { app: App; results: ResultStore } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Demo');
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const results = new ResultStore(stack, 'Results', { resultTtl: Duration.days(1) });
  // Signing keys in Secrets Manager, encrypted with the customer managed key (the user's own secrets).
  const secret = (id: string) =>
    secretsmanager.Secret.fromSecretAttributes(stack, id, {
      secretCompleteArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:celeriac/${id}-AbCdEf`,
      encryptionKey: key,
    });
  const tasks = new TaskQueue(stack, 'Tasks', {
    resultStore: results,
    longEtas: true,
    priorityQueues: [{ celeryQueueName: 'high' }],
    worker: {
      entry: WORKER_ENTRY,
      reservedConcurrentExecutions: 10,
      signing: {
        key: secret('signer-key'),
        certificate: secret('signer-cert'),
        certStore: secret('trusted'),
      },
    },
  });
  const orders = new TaskQueue(stack, 'Orders', {
    celeryQueueName: 'orders.fifo',
    encryptionKey: key,
    priorityQueues: [{ celeryQueueName: 'orders-high.fifo' }],
    resultStore: results,
    worker: { entry: WORKER_ENTRY },
  });
  const caller = new lambda.Function(stack, 'Caller', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => null;'),
    role: new iam.Role(stack, 'CallerRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }),
  });
  const celeriac = createApp({ transport: createMemoryTransport() });
  celeriac.periodic('nightly', { task: 'tasks.cleanup', schedule: crontab({ minute: 0, hour: 4 }) });
  celeriac.periodic('tick', { task: 'tasks.tick', schedule: every(60), enabled: false });
  new PeriodicTasks(stack, 'Periodic', {
    schedules: celeriac.scheduleDefinitions(),
    queues: [tasks, orders],
  });
  tasks.grantSendTasks(caller);
  orders.grantSendTasks(caller);
  results.grantReadResults(caller);
  results.grantWritePayloads(caller);
  return { app, results };
}

describe('cdk-nag AwsSolutions checks', () => {
  it('finds nothing unacknowledged, errors or warnings, in a representative deployment', () => {
    const report = new AwsSolutionsChecks().validateScope(representativeApp().app);
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('lets the app synthesize with the checks registered as a validation plugin', () => {
    const { app } = representativeApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('reports findings on a stack outside the constructs (the check is live)', () => {
    const app = new App();
    new s3.Bucket(new Stack(app, 'Bare'), 'Bucket');
    const rules = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.map((violation) => violation.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });

  it('acknowledges only specific findings, each where it arises and with a reason', () => {
    const { app, results } = representativeApp();
    const acknowledgements: Array<{ path: string; id: string; reason: string }> = [];
    for (const construct of app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          acknowledgements.push({ path: construct.node.path, id: id.replace(/^Annotation::/, ''), reason });
        }
      }
    }
    const group = app.node.findAll().find((c) => c.node.id === 'CeleriacLongEtaSchedules');
    const groupName = group && Stack.of(group).resolve((group as scheduler.ScheduleGroup).scheduleGroupName);
    const longEtaSchedules = `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${groupName}/celeriac-*]`;
    const payloadObjects = `AwsSolutions-IAM5[Resource::<${logicalIdOf(results.payloadBucket)}.Arn>/celeriac/*]`;
    expect(acknowledgements.map(({ path, id }) => `${path} ${id}`).sort()).toEqual(
      [
        'Demo/Results/PayloadBucket AwsSolutions-S1',
        'Demo/Tasks/Worker AwsSolutions-L1',
        'Demo/Orders/Worker AwsSolutions-L1',
        'Demo/Periodic/DeadLetterQueue AwsSolutions-SQS3',
        `Demo/Tasks/WorkerRole ${payloadObjects}`,
        `Demo/Orders/WorkerRole ${payloadObjects}`,
        `Demo/CallerRole ${payloadObjects}`,
        `Demo/Tasks/WorkerRole ${longEtaSchedules}`,
        `Demo/CallerRole ${longEtaSchedules}`,
      ].sort(),
    );
    for (const { reason } of acknowledgements) expect(reason.length).toBeGreaterThan(100);
  });
});
