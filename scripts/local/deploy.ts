/**
 * Deploys the demo stack (`infra/app.ts`, through the repository's `cdk.json`) to an emulator with the plain CDK
 * CLI, by `bootstrapAndDeploy` of `src/local/`, and reads the demo stack's outputs.
 */
import { DEMO_OUTPUTS, DEMO_STACK_NAME } from '../../infra/stacks/demo-outputs.js';
import { bootstrapAndDeploy, readStackOutputs } from '../../src/local/cdk-deploy.js';
import { REPO_ROOT } from './ministack.js';

/** The demo stack's outputs. */
export interface DemoStackOutputs {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly tableName: string;
  readonly bucketName: string;
  readonly workerFunctionName: string;
}

/** Options for {@link deployDemo}. */
export interface DeployDemoOptions {
  /** The emulator, e.g. `http://127.0.0.1:4566`. */
  readonly endpoint: string;
  /** The cloud assembly directory (`cdk --output`). */
  readonly assemblyDir: string;
  /** Where `cdk deploy --outputs-file` writes the outputs. */
  readonly outputsFile: string;
  /** The file the CLI's output is appended to. */
  readonly logFile: string;
  /** Called when a step starts, with its command line. */
  readonly onStep?: (step: 'synth' | 'bootstrap' | 'deploy', command: string) => void;
}

/**
 * Synthesizes the app, bootstraps the emulator's account and deploys the demo stack, then returns its outputs.
 * Each step is idempotent: an environment already bootstrapped and a stack already up to date take a few seconds.
 */
export async function deployDemo(options: DeployDemoOptions): Promise<DemoStackOutputs> {
  await bootstrapAndDeploy({ ...options, projectDir: REPO_ROOT, stacks: [DEMO_STACK_NAME] });
  return readDemoOutputs(options.outputsFile);
}

/** Reads the demo stack's outputs from a `cdk deploy --outputs-file` file. */
export function readDemoOutputs(outputsFile: string): DemoStackOutputs {
  const stack = readStackOutputs(outputsFile)[DEMO_STACK_NAME] ?? {};
  const read = (key: string): string => {
    const value = stack[key];
    if (value === undefined || value === '') {
      throw new Error(
        `${outputsFile} has no output ${DEMO_STACK_NAME}.${key}; the deployment did not produce the demo ` +
          'stack outputs (see the CDK log).',
      );
    }
    return value;
  };
  return {
    queueUrl: read(DEMO_OUTPUTS.queueUrl),
    deadLetterQueueUrl: read(DEMO_OUTPUTS.deadLetterQueueUrl),
    tableName: read(DEMO_OUTPUTS.tableName),
    bucketName: read(DEMO_OUTPUTS.bucketName),
    workerFunctionName: read(DEMO_OUTPUTS.workerFunctionName),
  };
}
