import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { app as tasks } from '../../examples/tasks.js';
import { DEMO_OUTPUTS, DEMO_STACK_NAME } from '../../infra/stacks/demo-outputs.js';
import { DemoStack } from '../../infra/stacks/demo-stack.js';
import { logicalIdOf } from './helpers.js';

function demo(): { app: App; stack: DemoStack; template: Template } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new DemoStack(app, DEMO_STACK_NAME);
  return { app, stack, template: Template.fromStack(stack) };
}

describe('DemoStack', () => {
  const { stack, template } = demo();

  it('outputs the queue URL, dead-letter queue URL, table, bucket and worker under the names scripts read', () => {
    const ref = (construct: Parameters<typeof logicalIdOf>[0]) => ({ Ref: logicalIdOf(construct) });
    expect(template.findOutputs('*')).toEqual({
      [DEMO_OUTPUTS.queueUrl]: expect.objectContaining({ Value: ref(stack.tasks.queue) }),
      [DEMO_OUTPUTS.deadLetterQueueUrl]: expect.objectContaining({ Value: ref(stack.tasks.deadLetterQueue) }),
      [DEMO_OUTPUTS.tableName]: expect.objectContaining({ Value: ref(stack.results.table) }),
      [DEMO_OUTPUTS.bucketName]: expect.objectContaining({ Value: ref(stack.results.payloadBucket) }),
      [DEMO_OUTPUTS.workerFunctionName]: expect.objectContaining({ Value: ref(stack.tasks.workerFunction) }),
    });
  });

  it('serves the Celery queue celery and names no account, so one template fits every account', () => {
    expect(stack.tasks.celeryQueueName).toBe('celery');
    expect(JSON.stringify(template.toJSON())).not.toMatch(/\b\d{12}\b/);
  });

  it('removes its table and bucket with the stack', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
  });

  it("deploys the demo app's periodic tasks as schedules targeting its queue", () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const withSchedules = new DemoStack(app, 'WithSchedules', { schedules: tasks.scheduleDefinitions() });
    const scheduled = Template.fromStack(withSchedules);
    scheduled.resourceCountIs('AWS::Scheduler::Schedule', 1);
    scheduled.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      Target: { Arn: { 'Fn::GetAtt': [logicalIdOf(withSchedules.tasks.queue), 'Arn'] } },
    });
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding, error or warning', () => {
    const report = new AwsSolutionsChecks().validateScope(demo().app);
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });
});
