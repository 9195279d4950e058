/**
 * Deploys the demo stack (`infra/app.ts`) to an emulator with the plain CDK CLI: `cdk bootstrap`, then
 * `cdk deploy --outputs-file`, with `AWS_ENDPOINT_URL` pointing at the emulator and credentials that belong
 * to the local stack only.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEMO_OUTPUTS, DEMO_STACK_NAME } from '../../infra/stacks/demo-outputs.js';
import { CeleriacError } from '../../src/protocol/errors.js';
import { MINISTACK_ACCOUNT, REPO_ROOT } from './ministack.js';

/** The region the local stack uses. */
export const LOCAL_REGION = 'us-east-1';

/**
 * The access key the CDK CLI uses against MiniStack. The CLI caches the account of each access key
 * (`~/.cdk/cache/accounts_partitions.json`); a key used against another emulator (moto says 123456789012)
 * would make it refuse to deploy to MiniStack's 000000000000, so this key is used for MiniStack only.
 */
export const MINISTACK_ACCESS_KEY = 'celeriac-ministack';

const CDK_BIN = path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk');

/** The demo stack's outputs. */
export interface DemoStackOutputs {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly tableName: string;
  readonly bucketName: string;
  readonly workerFunctionName: string;
}

/**
 * The environment for AWS clients (the CDK CLI, the SDK, the AWS CLI) talking to the emulator at `endpoint`:
 * the caller's environment without its AWS profile or session, plus the emulator's endpoint, region and
 * dummy credentials.
 */
export function emulatorEnvironment(
  endpoint: string,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_PROFILE', 'CDK_DEFAULT_ACCOUNT']) {
    delete env[name];
  }
  for (const name of Object.keys(env)) {
    // A service-specific endpoint (AWS_ENDPOINT_URL_SQS, ...) would send that service elsewhere.
    if (name.startsWith('AWS_ENDPOINT_URL_')) delete env[name];
  }
  return {
    ...env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: MINISTACK_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: MINISTACK_ACCESS_KEY,
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CDK_DISABLE_VERSION_CHECK: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Options for {@link bootstrapAndDeploy}. */
export interface DeployOptions {
  /** The emulator, e.g. `http://127.0.0.1:4566`. */
  readonly endpoint: string;
  /** The cloud assembly directory (`cdk --output`). */
  readonly assemblyDir: string;
  /** Where `cdk deploy --outputs-file` writes the outputs. */
  readonly outputsFile: string;
  /** The file the CLI's output is appended to. */
  readonly logFile: string;
  /** Called when a step starts, with its command line. */
  readonly onStep?: (step: 'bootstrap' | 'deploy', command: string) => void;
}

/** A CDK CLI run that exited with an error. */
export class CdkCommandError extends CeleriacError {
  override readonly name = 'CdkCommandError';
  /** The command line that failed. */
  readonly command: string;
  /** Its exit code, or the signal that ended it. */
  readonly exit: number | string;
  /** The last lines it printed. */
  readonly outputTail: string;

  constructor(command: string, exit: number | string, outputTail: string) {
    super(`\`${command}\` failed (${exit}). Its last lines:\n${outputTail}`);
    this.command = command;
    this.exit = exit;
    this.outputTail = outputTail;
  }
}

async function runCdk(args: readonly string[], env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  const command = `cdk ${args.join(' ')}`;
  appendFileSync(logFile, `\n$ ${command}\n`);
  const child = spawn(CDK_BIN, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const onData = (chunk: Buffer): void => {
    appendFileSync(logFile, chunk);
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exit = await new Promise<number | string>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  if (exit !== 0) {
    const lines = tail.trimEnd().split('\n').slice(-25).join('\n');
    throw new CdkCommandError(command, exit, lines);
  }
}

/**
 * Bootstraps MiniStack's account and deploys the demo stack, then returns the stack's outputs. Both steps
 * are idempotent: an environment already bootstrapped and a stack already up to date take a few seconds.
 */
export async function bootstrapAndDeploy(options: DeployOptions): Promise<DemoStackOutputs> {
  const env = emulatorEnvironment(options.endpoint);
  const bootstrap = [
    'bootstrap',
    `aws://${MINISTACK_ACCOUNT}/${LOCAL_REGION}`,
    '--output',
    options.assemblyDir,
  ];
  options.onStep?.('bootstrap', `cdk ${bootstrap.join(' ')}`);
  await runCdk(bootstrap, env, options.logFile);
  const deploy = [
    'deploy',
    DEMO_STACK_NAME,
    '--require-approval',
    'never',
    '--outputs-file',
    options.outputsFile,
    '--output',
    options.assemblyDir,
    '--progress',
    'events',
  ];
  options.onStep?.('deploy', `cdk ${deploy.join(' ')}`);
  await runCdk(deploy, env, options.logFile);
  return readDemoOutputs(options.outputsFile);
}

/** Reads the demo stack's outputs from a `cdk deploy --outputs-file` file. */
export function readDemoOutputs(outputsFile: string): DemoStackOutputs {
  const all = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, unknown>>;
  const stack = all[DEMO_STACK_NAME] ?? {};
  const read = (key: string): string => {
    const value = stack[key];
    if (typeof value !== 'string' || value === '') {
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
