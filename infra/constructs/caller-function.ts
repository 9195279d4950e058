/**
 * A Lambda function that sends tasks and waits for their results (an API handler, a step of another service),
 * with the defaults such a caller needs: Node.js 24 on arm64, bundled like the worker (esbuild's API during synth,
 * no Docker, split ES module chunks, the AWS SDK bundled at the version in your lock file), and a timeout that
 * leaves room to wait for a result. A plain `NodejsFunction` in a project without CDK's feature flags gets
 * `nodejs16.x`, a 3-second timeout and Docker bundling, and a caller waiting on `AsyncResult.get()` is killed.
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type FunctionBundlingOptions, validateBundling } from './bundling-options.js';
import { esbuildCode } from './esbuild-code.js';
import type { ResultStore } from './result-store.js';
import { grantSigningSecrets, type SigningSecrets, validateSigning } from './signing-secrets.js';
import type { TaskQueue } from './task-queue.js';
import { PropValidator } from './validation.js';
import {
  acknowledgePinnedRuntime,
  MAX_LAMBDA_TIMEOUT,
  refuseManagedVariables,
  validateEntry,
  validateNodeRuntime,
  WORKER_DEFAULTS,
  workerBundling,
} from './worker-function.js';

/** Props of {@link CallerFunction}. */
export interface CallerFunctionProps {
  /** Path to the handler's source file (TypeScript or JavaScript), bundled with esbuild (see `bundling`). */
  readonly entry: string;

  /**
   * Name of the exported handler in `entry`.
   *
   * @default 'handler'
   */
  readonly handler?: string;

  /**
   * The function timeout. A caller that waits on `AsyncResult.get({ timeoutMs })` needs more than that wait;
   * keep `timeoutMs` a few seconds under it.
   *
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;

  /**
   * Memory in MiB, from 128 to 10240.
   *
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * The queues this function sends tasks to: each grants it `grantSendTasks` (IAM and `CELERIAC_QUEUE_URLS`);
   * the first is its default queue.
   *
   * @default - none; grant queues later with `queue.grantSendTasks(caller.function)`
   */
  readonly sendsTo?: readonly TaskQueue[];

  /**
   * The result store whose results it reads (`grantReadResults`) and into whose payload bucket it may put
   * arguments too large for SQS (`grantWritePayloads`).
   *
   * @default - none; grant later with `results.grantReadResults(caller.function)`
   */
  readonly resultStore?: ResultStore;

  /**
   * Also let it start chords, save groups and revoke tasks: `resultStore.grantSaveGroupsAndRevoke` (PutItem and
   * UpdateItem on the table). A chord, a chain that runs a group before a step, `GroupResult.save()` and
   * `app.revoke()` need it; reading and sending do not.
   *
   * @default false
   */
  readonly savesGroupsAndRevokes?: boolean;

  /** Extra environment variables. @default - only the variables the grants set */
  readonly environment?: Readonly<Record<string, string>>;

  /**
   * A Node.js runtime of major version 22 or later.
   *
   * @default lambda.Runtime.NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;

  /** @default lambda.Architecture.ARM_64 */
  readonly architecture?: lambda.Architecture;

  /**
   * esbuild options, merged over the same defaults as the worker's: split ES module chunks (`index.mjs` plus
   * `chunks/*.mjs` loaded on first use), minified with names kept, the AWS SDK bundled, no source maps. Only the
   * keys of {@link FunctionBundlingOptions} are accepted (see `TaskQueueWorkerProps.bundling`).
   *
   * @default - the worker's defaults
   */
  readonly bundling?: FunctionBundlingOptions;

  /** @default - a new log group whose events are kept for one month */
  readonly logGroup?: logs.ILogGroup;

  /**
   * Secrets Manager secrets with the key and certificate that sign what the function sends (and the trusted
   * certificates, if it also verifies): the function is granted read access to each (and `kms:Decrypt` on a
   * secret's customer managed key) and gets their ids in `CELERIAC_SECURITY_*_SECRET`, which
   * `loadSecuritySecrets()` reads.
   *
   * @default - none: the function does not sign, unless its code configures `security` itself
   */
  readonly signing?: SigningSecrets;
}

/** The default timeout of a caller function: room for a result to come back. */
export const CALLER_DEFAULT_TIMEOUT = Duration.seconds(30);

/**
 * A Lambda function that sends celeriac tasks and reads their results, wired by its props' grants.
 *
 * @example
 * const api = new CallerFunction(this, 'Api', {
 *   entry: 'functions/api.ts',
 *   sendsTo: [tasks],
 *   resultStore: results,
 * });
 * // api.function: a lambda.Function with CELERIAC_QUEUE_URLS, CELERIAC_RESULT_TABLE, ... and their IAM rights
 */
export class CallerFunction extends Construct {
  /** The function. */
  readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: CallerFunctionProps) {
    super(scope, id);
    const validate = new PropValidator('CallerFunction', this);
    const runtime = props.runtime ?? WORKER_DEFAULTS.runtime;
    validateEntry(validate, 'entry', props.entry);
    validateNodeRuntime(validate, 'runtime', runtime);
    validateBundling(validate, 'bundling', props.bundling);
    validate.durationInRange(
      'timeout',
      props.timeout,
      { min: Duration.seconds(1), max: MAX_LAMBDA_TIMEOUT },
      'Lambda runs a function for at most 15 minutes.',
    );
    validate.integerInRange(
      'memorySize',
      props.memorySize,
      128,
      10_240,
      'the memory sizes Lambda accepts, in MiB.',
    );
    validateSigning(validate, 'signing', props.signing, props.environment);
    refuseManagedVariables(validate, 'environment', props.environment);
    if (props.savesGroupsAndRevokes === true && props.resultStore === undefined) {
      validate.fail(
        'savesGroupsAndRevokes',
        'true',
        'needs `resultStore`: the groups and revokes are written to its table.',
      );
    }

    const bundling = workerBundling(props.bundling);
    const environment: Record<string, string> = { ...props.environment };
    if ((bundling.sourceMap ?? false) && environment.NODE_OPTIONS === undefined) {
      environment.NODE_OPTIONS = '--enable-source-maps';
    }
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Sends celeriac tasks and reads their results.',
    });
    const logGroup =
      props.logGroup ?? new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    logGroup.grantWrite(role);
    const { code, handler } = esbuildCode({
      entry: props.entry,
      handler: props.handler ?? WORKER_DEFAULTS.handler,
      runtime,
      bundling,
    });
    this.function = new lambda.Function(this, 'Function', {
      code,
      handler,
      runtime,
      architecture: props.architecture ?? WORKER_DEFAULTS.architecture,
      timeout: props.timeout ?? CALLER_DEFAULT_TIMEOUT,
      memorySize: props.memorySize ?? WORKER_DEFAULTS.memorySize,
      environment,
      role,
      logGroup,
    });
    acknowledgePinnedRuntime(this.function, runtime, 'runtime');
    grantSigningSecrets(this.function, props.signing);
    for (const queue of props.sendsTo ?? []) queue.grantSendTasks(this.function);
    if (props.resultStore) {
      props.resultStore.grantReadResults(this.function);
      props.resultStore.grantWritePayloads(this.function);
      if (props.savesGroupsAndRevokes === true) props.resultStore.grantSaveGroupsAndRevoke(this.function);
    }
  }
}
