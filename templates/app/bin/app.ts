/**
 * The CDK app (`cdk.json` runs it). The account and region come from the CDK CLI; with neither set the stack is
 * environment-agnostic, so `cdk synth` needs no credentials.
 */
import { App } from 'aws-cdk-lib';
import { STACK_NAME } from '../lib/outputs.js';
import { AppStack } from '../lib/stack.js';

const app = new App();
new AppStack(app, STACK_NAME, {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
