/**
 * The Lambda function that consumes one `TaskQueue`: its props, their validation, and the bundling defaults
 * that make the handler run the same on AWS and in a local emulator.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ENV } from '../../src/config/env.js';
import { type FunctionBundlingOptions, validateBundling } from './bundling-options.js';
import { esbuildCode } from './esbuild-code.js';
import { grantSigningSecrets, type SigningSecrets, validateSigning } from './signing-secrets.js';
import type { PropValidator } from './validation.js';
import { applyWorkerEvents, validateWorkerEvents, type WorkerEventsProps } from './worker-events.js';

/** The worker Lambda function of a `TaskQueue`. */
export interface TaskQueueWorkerProps {
  /**
   * Path to the handler's source file (TypeScript or JavaScript), bundled with esbuild (see `bundling`). The
   * handler receives SQS batches and must return `{ batchItemFailures }` (celeriac's Lambda adapter does).
   */
  readonly entry: string;

  /**
   * Name of the exported handler in `entry`.
   *
   * @default 'handler'
   */
  readonly handler?: string;

  /**
   * The function timeout: the hard time limit of one batch. At most 15 minutes (Lambda's limit). The
   * queue's visibility timeout follows it (see `TaskQueueProps.visibilityTimeout`).
   *
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;

  /**
   * Memory in MiB, from 128 to 10240; CPU scales with it.
   *
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Extra environment variables. The celeriac variables that say where queues and results are
   * (`CELERIAC_QUEUE_URLS`, `CELERIAC_RESULT_TABLE`, ...) are set by the constructs and may not appear here,
   * except `CELERIAC_DEFAULT_QUEUE`, which overrides the worker's own queue as the default for tasks sent
   * without a queue.
   *
   * @default - only the variables celeriac sets
   */
  readonly environment?: Readonly<Record<string, string>>;

  /**
   * A Node.js runtime of major version 22 or later. The default is Node.js 24 LTS: Node.js 22 reaches its end of
   * life on 2027-04-30. Node 24 measured no slower than Node 22, per task and at cold start (BENCHMARKS.md).
   *
   * @default lambda.Runtime.NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;

  /**
   * Instruction set architecture.
   *
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;

  /**
   * esbuild options, merged over celeriac's defaults. celeriac bundles `entry` with esbuild's API during
   * `cdk synth` (no Docker) into split ES module chunks: `index.mjs` holds what the handler imports statically,
   * and each module reached only through a dynamic `import()` (the S3, EventBridge and Scheduler clients, ...)
   * is a chunk under `chunks/` that loads on first use, so a cold start compiles only the code it runs. The
   * defaults: `format: OutputFormat.ESM`, `mainFields: ['module', 'main']`, a banner defining `require` through
   * `createRequire` for CommonJS dependencies, `externalModules: []` so the AWS SDK is bundled at the version
   * in your lock file (and an emulator's Lambda executor needs no SDK of its own), minified with names kept
   * (`keepNames`: an error's class name is its stored `exc_type`), and no source maps. `sourceMap: true` adds
   * them, with `NODE_OPTIONS=--enable-source-maps` unless `environment` sets `NODE_OPTIONS`; they cost
   * cold-start time (`npm run bench:cold-start`).
   *
   * Only the `nodejs.BundlingOptions` keys that map onto esbuild options are accepted (see
   * {@link FunctionBundlingOptions}); Docker options, `nodeModules`, `commandHooks` and `esbuildArgs` are refused
   * at synth, since `NodejsFunction`, which they configure, cannot split the code.
   *
   * @default - celeriac's defaults above
   */
  readonly bundling?: FunctionBundlingOptions;

  /**
   * Concurrent executions reserved for (and capping) the worker. When set and `maxConcurrency` is not, the
   * event source mapping's maximum concurrency follows it, so the mapping does not invoke more copies than
   * may run: throttled invocations return their messages to the queue and count towards `maxReceiveCount`.
   *
   * @default - no reservation: the worker shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * Log group the worker writes to.
   *
   * @default - a new log group whose events are kept for one month
   */
  readonly logGroup?: logs.ILogGroup;

  /**
   * Secrets Manager secrets with the signing key, its certificate and the trusted certificates: the worker is
   * granted read access to each (and `kms:Decrypt` on a secret's customer managed key) and gets their ids in
   * `CELERIAC_SECURITY_*_SECRET`, which `loadSecuritySecrets()` reads.
   *
   * @default - none: the worker neither signs nor verifies, unless its code configures `security` itself
   */
  readonly signing?: SigningSecrets;

  /**
   * Celery's monitoring events from this worker: to an EventBridge bus (granted `events:PutEvents`) and/or its
   * log group (docs/monitoring.md).
   *
   * @default - no events
   */
  readonly events?: WorkerEventsProps;
}

/** Defaults of {@link TaskQueueWorkerProps}, for validation messages and derived settings. */
export const WORKER_DEFAULTS = {
  handler: 'handler',
  timeout: Duration.minutes(1),
  memorySize: 512,
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
} as const;

/** Lambda's hard limit on a function timeout. */
export const MAX_LAMBDA_TIMEOUT = Duration.minutes(15);

const MIN_NODE_MAJOR = 22;

/**
 * Variables the constructs set from the resources they grant (a grant would replace the user's value without a
 * word, or the user's value would name a resource no grant covers); a function's `environment` may not set them.
 */
const MANAGED_VARIABLES: readonly string[] = [
  ENV.QUEUE_URLS,
  ENV.RESULT_TABLE,
  ENV.PAYLOAD_BUCKET,
  ENV.PAYLOAD_PREFIX,
  ENV.RESULT_TTL_SECONDS,
  ENV.TASK_INDEX,
  ENV.SCHEDULE_GROUP,
  ENV.SCHEDULER_ROLE_ARN,
  ENV.SCHEDULER_ROLE_ARNS,
  ENV.EVENT_BUS,
];

/** Refuses an `environment` prop that sets a variable the constructs manage, naming it and what to do. */
export function refuseManagedVariables(
  validate: PropValidator,
  prop: string,
  environment: Readonly<Record<string, string>> | undefined,
): void {
  for (const name of Object.keys(environment ?? {})) {
    if (MANAGED_VARIABLES.includes(name)) {
      validate.fail(
        prop,
        name,
        'is set by celeriac from the TaskQueue and ResultStore (and their grants and props); remove it, or ' +
          'grant the queue or store you meant instead.',
      );
    }
  }
}

/**
 * Defines `require` in an ES module bundle, for CommonJS dependencies that call it. esbuild puts the banner at the
 * top of every output file; each chunk is a module scope of its own, and esbuild reserves the name `require` in a
 * bundle (a module's own top-level `require` is renamed `require2`), so every file declares it exactly once.
 */
const CREATE_REQUIRE_BANNER =
  "import { createRequire as __celeriacCreateRequire } from 'node:module'; " +
  'const require = __celeriacCreateRequire(import.meta.url);';

/** Requires a Node.js runtime of major version 22 or later for `prop`. */
export function validateNodeRuntime(validate: PropValidator, prop: string, runtime: lambda.Runtime): void {
  const major = /^nodejs(\d+)\.x$/.exec(runtime.name)?.[1];
  if (
    runtime.family !== lambda.RuntimeFamily.NODEJS ||
    major === undefined ||
    Number(major) < MIN_NODE_MAJOR
  ) {
    validate.fail(
      prop,
      runtime.name,
      `must be a Node.js runtime of major version ${MIN_NODE_MAJOR} or later (e.g. ` +
        'lambda.Runtime.NODEJS_24_X): celeriac targets Node.js 22 and later, and older lines are past their ' +
        'end of life.',
    );
  }
}

/** Requires `entry` to be an existing file, which esbuild bundles. */
export function validateEntry(validate: PropValidator, prop: string, entry: string): void {
  const resolved = path.resolve(entry);
  if (!existsSync(resolved) || !statSync(resolved).isFile()) {
    validate.fail(
      prop,
      JSON.stringify(entry),
      `is not a file (resolved to ${resolved}): give the path of the handler's source file, absolute or ` +
        'relative to the directory `cdk synth` runs in.',
    );
  }
}

/** Checks the worker props that can be checked on their own. */
export function validateWorkerProps(validate: PropValidator, props: TaskQueueWorkerProps): void {
  validateEntry(validate, 'worker.entry', props.entry);
  validateNodeRuntime(validate, 'worker.runtime', props.runtime ?? WORKER_DEFAULTS.runtime);
  validateBundling(validate, 'worker.bundling', props.bundling);
  validate.durationInRange(
    'worker.timeout',
    props.timeout,
    { min: Duration.seconds(1), max: MAX_LAMBDA_TIMEOUT },
    'Lambda runs a function for at most 15 minutes; use the long-running `celeriac worker` for longer tasks.',
  );
  validate.integerInRange(
    'worker.memorySize',
    props.memorySize,
    128,
    10_240,
    'the memory sizes Lambda accepts, in MiB.',
  );
  validate.integerAtLeast(
    'worker.reservedConcurrentExecutions',
    props.reservedConcurrentExecutions,
    1,
    '0 would throttle every invocation, and every message would reach the dead-letter queue after ' +
      '`maxReceiveCount` receives. Leave it unset for no reservation.',
  );
  validateSigning(validate, 'worker.signing', props.signing, props.environment);
  validateWorkerEvents(validate, 'worker.events', props.events);
  refuseManagedVariables(validate, 'worker.environment', props.environment);
}

/** Creates the worker function, its role and its log group under `scope`. */
export function createWorkerFunction(scope: Construct, props: TaskQueueWorkerProps): lambda.Function {
  const runtime = props.runtime ?? WORKER_DEFAULTS.runtime;
  const bundling = workerBundling(props.bundling);
  const environment: Record<string, string> = { ...props.environment };
  if ((bundling.sourceMap ?? false) && environment.NODE_OPTIONS === undefined) {
    environment.NODE_OPTIONS = '--enable-source-maps';
  }
  const role = new iam.Role(scope, 'WorkerRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: 'Runs the celeriac worker: consumes its task queue, stores results and payloads.',
  });
  const logGroup =
    props.logGroup ?? new logs.LogGroup(scope, 'WorkerLogs', { retention: logs.RetentionDays.ONE_MONTH });
  logGroup.grantWrite(role);

  const { code, handler } = esbuildCode({
    entry: props.entry,
    handler: props.handler ?? WORKER_DEFAULTS.handler,
    runtime,
    bundling,
  });
  const fn = new lambda.Function(scope, 'Worker', {
    code,
    handler,
    runtime,
    architecture: props.architecture ?? WORKER_DEFAULTS.architecture,
    timeout: props.timeout ?? WORKER_DEFAULTS.timeout,
    memorySize: props.memorySize ?? WORKER_DEFAULTS.memorySize,
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    environment,
    role,
    logGroup,
  });
  acknowledgePinnedRuntime(fn, runtime, 'worker.runtime');
  grantSigningSecrets(fn, props.signing);
  applyWorkerEvents(fn, props.events);
  return fn;
}

/** Acknowledges cdk-nag's "latest runtime" rule for celeriac's pinned default runtime, saying why. */
export function acknowledgePinnedRuntime(fn: lambda.Function, runtime: lambda.Runtime, prop: string): void {
  if (runtime.name !== WORKER_DEFAULTS.runtime.name) return;
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      `${runtime.name} is a Node.js LTS runtime that Lambda supports. celeriac pins it as the default instead of ` +
      'following the newest runtime, so upgrading aws-cdk-lib never changes a deployed function underneath ' +
      `its code; set \`${prop}\` to move on.`,
  });
}

/**
 * celeriac's bundling defaults with the user's options merged over them (keys set to `undefined` keep the
 * default): ES module output with a `require` banner (split into chunks by `esbuildCode`), the AWS SDK bundled,
 * minified with names kept, no source maps (they cost cold-start time, `bench/cold-start.ts`; `sourceMap: true`
 * brings them back with `--enable-source-maps`). The construct and `npm run bench:cold-start` build with what this
 * returns.
 *
 * @example
 * workerBundling({ sourceMap: true }); // { format: 'esm', ..., minify: true, keepNames: true, sourceMap: true }
 */
export function workerBundling(options: FunctionBundlingOptions | undefined): FunctionBundlingOptions {
  const format = options?.format ?? nodejs.OutputFormat.ESM;
  const esm = format === nodejs.OutputFormat.ESM;
  const given = Object.fromEntries(
    Object.entries(options ?? {}).filter(([, value]) => value !== undefined),
  ) as FunctionBundlingOptions;
  return {
    format,
    ...(esm ? { mainFields: ['module', 'main'], banner: CREATE_REQUIRE_BANNER } : {}),
    externalModules: [],
    minify: true,
    // Error classes keep their names: a task's exception is stored as `exc_type` from its class name.
    keepNames: true,
    sourceMap: false,
    ...given,
  };
}
