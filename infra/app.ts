/**
 * The CDK app of the demo stack (`cdk.json` runs it with tsx). The account and region come from the CDK CLI
 * (`CDK_DEFAULT_ACCOUNT` and `CDK_DEFAULT_REGION`, which it resolves from your credentials and settings); with
 * neither set, the stack is environment-agnostic, so `cdk synth` needs no credentials and no network.
 *
 * The demo app (`examples/tasks.ts`) is imported only for its periodic tasks, turned into schedule definitions
 * here, at synth time. Nothing here is specific to an emulator: the same stack deploys to MiniStack, LocalStack and AWS.
 */
import { App } from 'aws-cdk-lib';
import { app as tasks } from '../examples/tasks.js';
import { DEMO_STACK_NAME } from './stacks/demo-outputs.js';
import { DemoStack } from './stacks/demo-stack.js';

const app = new App();
new DemoStack(app, DEMO_STACK_NAME, {
  // The demo app's periodic tasks, as EventBridge Scheduler deploys them.
  schedules: tasks.scheduleDefinitions(),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'celeriac demo: the Celery queue "celery" on SQS with a Lambda worker, results in DynamoDB',
});
app.synth();
