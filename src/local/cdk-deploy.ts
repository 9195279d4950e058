/**
 * Deploys a CDK app to the emulator with the plain CDK CLI: `cdk synth` once, then `cdk bootstrap` and
 * `cdk deploy --outputs-file` from the cloud assembly it wrote,
 * with `AWS_ENDPOINT_URL` pointing at the emulator and credentials that belong to the local stack only (see
 * `emulatorEnvironment`). The CLI is the project's own `aws-cdk` (found in `node_modules/.bin` from the project
 * directory up), else `npx aws-cdk@2`.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { emulatorEnvironment, LOCAL_REGION, MINISTACK_ACCOUNT } from './emulator-environment.js';
import { CdkCommandError } from './local-errors.js';

/** A command and the arguments that come before the CDK CLI's own. */
export interface CdkCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/** The project's `aws-cdk`, found from `projectDir` up, else `npx --yes aws-cdk@2`. */
export function resolveCdkCommand(projectDir: string): CdkCommand {
  let dir = path.resolve(projectDir);
  for (;;) {
    const bin = path.join(dir, 'node_modules', '.bin', 'cdk');
    if (existsSync(bin)) return { command: bin, args: [] };
    const parent = path.dirname(dir);
    if (parent === dir) return { command: 'npx', args: ['--yes', 'aws-cdk@2'] };
    dir = parent;
  }
}

/** The outputs of `cdk deploy --outputs-file`: stack name → output name → value. */
export type StackOutputs = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** Options for {@link bootstrapAndDeploy}. */
export interface CdkDeployOptions {
  /** The emulator, e.g. `http://127.0.0.1:4566`. */
  readonly endpoint: string;
  /** The directory the CLI runs in: the project with its `cdk.json`. */
  readonly projectDir: string;
  /** The app command (`cdk --app`). Default: the one in the project's `cdk.json`. */
  readonly app?: string | undefined;
  /** The stacks to deploy. Default: every stack of the app (`--all`). */
  readonly stacks?: readonly string[] | undefined;
  /** The cloud assembly directory (`cdk --output`). */
  readonly assemblyDir: string;
  /** Where `cdk deploy --outputs-file` writes the outputs. */
  readonly outputsFile: string;
  /** The file the CLI's output is appended to. */
  readonly logFile: string;
  /** The CDK CLI. Default {@link resolveCdkCommand}. */
  readonly cdk?: CdkCommand | undefined;
  /** Called when a step starts, with its command line. */
  readonly onStep?: ((step: 'synth' | 'bootstrap' | 'deploy', command: string) => void) | undefined;
  /** The environment the CLI starts from (the emulator's settings are put over it). Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

async function runCdk(cdk: CdkCommand, args: readonly string[], options: CdkDeployOptions): Promise<void> {
  const command = `cdk ${args.join(' ')}`;
  appendFileSync(options.logFile, `\n$ ${command}\n`);
  const child = spawn(cdk.command, [...cdk.args, ...args], {
    cwd: options.projectDir,
    env: emulatorEnvironment(options.endpoint, options.env ?? process.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const onData = (chunk: Buffer): void => {
    appendFileSync(options.logFile, chunk);
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exit = await new Promise<number | string>((resolve) => {
    child.once('error', (error) => {
      tail += `\n${error.message}`;
      resolve((error as NodeJS.ErrnoException).code ?? 'error');
    });
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  if (exit !== 0) {
    const lines = tail.trimEnd().split('\n').slice(-25).join('\n');
    throw CdkCommandError.failed(command, exit, lines, path.relative(process.cwd(), options.logFile));
  }
}

/** What {@link bootstrapAndDeploy} deployed. */
export interface CdkDeployment {
  /** The CloudFormation names of the stacks deployed. */
  readonly stacks: readonly string[];
  /** Their outputs (stacks without outputs are absent). */
  readonly outputs: StackOutputs;
}

/**
 * Synthesizes the app, bootstraps the emulator's account and deploys the app's stacks, then returns their names
 * and outputs. The app runs once: `cdk bootstrap` would synthesize it again, even for an explicit environment,
 * and so would `cdk deploy`; both are given the assembly instead (`--app <assembly directory>`). Each step is
 * idempotent: an environment already bootstrapped and a stack already up to date take a few seconds.
 */
export async function bootstrapAndDeploy(options: CdkDeployOptions): Promise<CdkDeployment> {
  const cdk = options.cdk ?? resolveCdkCommand(options.projectDir);
  const common = ['--no-notices'];
  const synth = [
    'synth',
    '--quiet',
    ...(options.app === undefined ? [] : ['--app', options.app]),
    '--output',
    options.assemblyDir,
    ...common,
  ];
  options.onStep?.('synth', `cdk ${synth.join(' ')}`);
  await runCdk(cdk, synth, options);
  const assembly = ['--app', options.assemblyDir];
  const bootstrap = ['bootstrap', `aws://${MINISTACK_ACCOUNT}/${LOCAL_REGION}`, ...assembly, ...common];
  options.onStep?.('bootstrap', `cdk ${bootstrap.join(' ')}`);
  await runCdk(cdk, bootstrap, options);
  const stacks = options.stacks === undefined || options.stacks.length === 0 ? ['--all'] : options.stacks;
  const deploy = [
    'deploy',
    ...stacks,
    '--require-approval',
    'never',
    '--outputs-file',
    options.outputsFile,
    ...assembly,
    ...common,
    '--progress',
    'events',
  ];
  options.onStep?.('deploy', `cdk ${deploy.join(' ')}`);
  await runCdk(cdk, deploy, options);
  const all = assemblyStacks(options.assemblyDir);
  const named = options.stacks ?? [];
  return {
    stacks:
      named.length === 0
        ? all.map((s) => s.stackName)
        : all.filter((s) => named.includes(s.id) || named.includes(s.stackName)).map((s) => s.stackName),
    outputs: readStackOutputs(options.outputsFile),
  };
}

/** The stacks of a cloud assembly (`manifest.json`): construct id and CloudFormation name. */
export function assemblyStacks(assemblyDir: string): { id: string; stackName: string }[] {
  const manifest = path.join(assemblyDir, 'manifest.json');
  if (!existsSync(manifest)) return [];
  const { artifacts = {} } = JSON.parse(readFileSync(manifest, 'utf8')) as {
    artifacts?: Record<string, { type?: string; displayName?: string; properties?: { stackName?: string } }>;
  };
  return Object.entries(artifacts)
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
    .map(([id, artifact]) => ({
      id: artifact.displayName ?? id,
      stackName: artifact.properties?.stackName ?? id,
    }));
}

/** Reads a `cdk deploy --outputs-file` file; a missing file (an app without outputs) reads as none. */
export function readStackOutputs(outputsFile: string): StackOutputs {
  if (!existsSync(outputsFile)) return {};
  const all = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, unknown>>;
  const outputs: Record<string, Record<string, string>> = {};
  for (const [stack, values] of Object.entries(all)) {
    outputs[stack] = Object.fromEntries(
      Object.entries(values).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
  }
  return outputs;
}
