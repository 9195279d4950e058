/**
 * The local stack of a project: one MiniStack in the background on the loopback address, the project's CDK
 * app deployed to it, and the client's environment written next to it. `celeriac local` and this repository's
 * `npm run local` are thin shells over these functions.
 *
 * - {@link localUp} starts the emulator (installing it first when needed) or finds the one already running;
 * - {@link localDeploy} deploys the app and writes `.celeriac/local/env` and `outputs.json`;
 * - {@link localStatus} says what runs and what is deployed;
 * - {@link localDown} stops the emulator and its Lambda processes and forgets the state.
 */
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bootstrapAndDeploy, type CdkCommand, type StackOutputs } from './cdk-deploy.js';
import { mergeClientEnvironment, renderDotenv } from './client-environment.js';
import { DEFAULT_EMULATOR_PORT, spawnEmulator, waitForEmulator } from './emulator.js';
import {
  emulatorEnvironment,
  LOCAL_REGION,
  loopbackEndpoint,
  MINISTACK_ACCESS_KEY,
} from './emulator-environment.js';
import { ensureEmulator } from './ensure-emulator.js';
import { identifyEndpoint } from './identify-endpoint.js';
import { EmulatorError } from './local-errors.js';
import {
  type EmulatorRecord,
  ensureStateDir,
  forgetEmulator,
  isEmulatorProcess,
  type LocalStateFiles,
  localStateFiles,
  readDeployedStacks,
  readRecord,
  withStateLock,
  writeRecord,
} from './local-state.js';
import { stopProcessGroup } from './process-group.js';

/** What every local-stack operation takes. */
export interface LocalOptions {
  /** The project directory (where `cdk.json` is, and `.celeriac/local/` goes). Default `process.cwd()`. */
  readonly projectDir?: string;
  /** The loopback port of the emulator. Default {@link DEFAULT_EMULATOR_PORT}. */
  readonly port?: number;
  /** Where progress lines go. Default: nowhere. */
  readonly print?: (line: string) => void;
  /** The `ministack` executable. Default: the one `ensureEmulator` installs into the cache. */
  readonly bin?: string;
  /** The cache directory for `ensureEmulator`. */
  readonly cacheDir?: string;
  /** Where the state goes. Default `localStateFiles(projectDir)`: under `<project>/.celeriac/local/`. */
  readonly files?: LocalStateFiles;
  /** The command that starts the emulator, as messages name it. Default `celeriac local up`. */
  readonly starter?: string;
}

/** The emulator the local stack uses. */
export interface LocalEmulator {
  readonly endpoint: string;
  readonly port: number;
  readonly version: string;
  /** Its process id when `celeriac local up` started it; `undefined` for one started elsewhere. */
  readonly pid: number | undefined;
  /** True when this call started it. */
  readonly started: boolean;
}

const context = (options: LocalOptions) => ({
  files: options.files ?? localStateFiles(options.projectDir ?? process.cwd()),
  port: options.port ?? DEFAULT_EMULATOR_PORT,
  print: options.print ?? (() => {}),
});

const ownRecord = (files: LocalStateFiles): EmulatorRecord | undefined => {
  const record = readRecord(files);
  return record !== undefined && isEmulatorProcess(record.pid) ? record : undefined;
};

async function startInBackground(options: LocalOptions, files: LocalStateFiles, port: number) {
  const print = options.print ?? (() => {});
  const bin =
    options.bin ??
    (
      await ensureEmulator({
        ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
        onProgress: (line) => print(`  ${line}`),
      })
    ).bin;
  ensureStateDir(files);
  const log = openSync(files.emulatorLog, 'w');
  const spawned = spawnEmulator({ bin, port, output: log });
  closeSync(log);
  const pid = spawned.child.pid;
  if (pid === undefined) {
    rmSync(spawned.tempDir, { recursive: true, force: true });
    throw new EmulatorError(`MiniStack (${bin}) did not start; see ${files.emulatorLog}`);
  }
  spawned.child.unref();
  const record: EmulatorRecord = {
    pid,
    port,
    endpoint: spawned.endpoint,
    version: 'starting',
    tempDir: spawned.tempDir,
    startedAt: new Date().toISOString(),
  };
  writeRecord(files, record);
  try {
    const version = await waitForEmulator(spawned.endpoint, spawned.child, {
      logTail: () => readFileSync(files.emulatorLog, 'utf8').trimEnd().split('\n').slice(-20).join('\n'),
    });
    const started = { ...record, version };
    writeRecord(files, started);
    return started;
  } catch (error) {
    await stopProcessGroup(pid, 2000);
    forgetEmulator(files, record);
    throw error;
  }
}

/**
 * Starts the emulator in the background on `127.0.0.1:<port>`, or finds it already running there. Refuses a
 * port held by something that is not MiniStack, and a second emulator of the same project on another port.
 */
export async function localUp(options: LocalOptions = {}): Promise<LocalEmulator> {
  const { files } = context(options);
  return withStateLock(files, () => upLocked(options));
}

async function upLocked(options: LocalOptions): Promise<LocalEmulator> {
  const { files, port, print } = context(options);
  const endpoint = loopbackEndpoint(port);
  const owner = await identifyEndpoint(endpoint);
  const record = readRecord(files);
  const alive = record !== undefined && isEmulatorProcess(record.pid);
  if (owner.kind === 'other') {
    throw new EmulatorError(
      `127.0.0.1:${port} is held by ${owner.description}. The local stack needs MiniStack there: stop what ` +
        `holds the port (a LocalStack container?), or use another one: --port ${port + 1}`,
      { endpoint },
    );
  }
  if (owner.kind === 'ministack') {
    const ours = alive && record.port === port;
    print(
      `MiniStack ${owner.version} already runs on ${endpoint}` +
        (ours
          ? ` (pid ${record.pid}, started by ${options.starter ?? 'celeriac local up'})`
          : ' (started elsewhere; reusing it)'),
    );
    return { endpoint, port, version: owner.version, pid: ours ? record.pid : undefined, started: false };
  }
  if (alive && record.port !== port) {
    throw new EmulatorError(
      `This project's emulator already runs on ${record.endpoint} (pid ${record.pid}); use it with --port ` +
        `${record.port}, or stop it first: celeriac local down`,
      { endpoint: record.endpoint },
    );
  }
  if (record !== undefined) forgetEmulator(files, record); // An emulator that is gone.
  const t = Date.now();
  const started = await startInBackground(options, files, port);
  print(
    `MiniStack ${started.version} started on ${endpoint} in ${((Date.now() - t) / 1000).toFixed(1)} s ` +
      `(pid ${started.pid}, log ${path.relative(process.cwd(), files.emulatorLog)})`,
  );
  return { endpoint, port, version: started.version, pid: started.pid, started: true };
}

/** Options for {@link localDeploy}. */
export interface LocalDeployOptions extends LocalOptions {
  /** The CDK app command (`cdk --app`). Default: the project's `cdk.json`. */
  readonly app?: string | undefined;
  /** The stacks to deploy. Default: all of them. */
  readonly stacks?: readonly string[] | undefined;
  /** The CDK CLI. Default: the project's `aws-cdk`, else `npx aws-cdk@2`. */
  readonly cdk?: CdkCommand | undefined;
}

/** What {@link localDeploy} deployed and wrote. */
export interface LocalDeployment {
  readonly emulator: LocalEmulator;
  /** The CloudFormation names of the stacks deployed. */
  readonly stacks: readonly string[];
  readonly outputs: StackOutputs;
  /** The client's environment, as written to {@link LocalStateFiles.env}. */
  readonly env: Readonly<Record<string, string>>;
  /** Functions whose celeriac settings disagree with the ones written. */
  readonly conflicts: readonly string[];
  readonly files: LocalStateFiles;
}

/**
 * Brings the emulator up when it is not, bootstraps it, deploys the app's stacks with the CDK CLI, and writes
 * the stacks' outputs and the client's environment (from the deployed functions' celeriac variables).
 */
export async function localDeploy(options: LocalDeployOptions = {}): Promise<LocalDeployment> {
  const { files, print } = context(options);
  const projectDir = options.projectDir ?? process.cwd();
  const emulator = await localUp(options);
  ensureStateDir(files);
  writeFileSync(files.cdkLog, '');
  let stepStart = Date.now();
  const { stacks, outputs } = await bootstrapAndDeploy({
    endpoint: emulator.endpoint,
    projectDir,
    app: options.app,
    stacks: options.stacks,
    assemblyDir: files.assembly,
    outputsFile: files.outputs,
    logFile: files.cdkLog,
    cdk: options.cdk,
    onStep: (step, command) => {
      if (step !== 'synth') print(`  done in ${((Date.now() - stepStart) / 1000).toFixed(1)} s`);
      stepStart = Date.now();
      print(command);
    },
  });
  print(`  done in ${((Date.now() - stepStart) / 1000).toFixed(1)} s (CLI output in ${files.cdkLog})`);
  writeFileSync(files.stacks, `${JSON.stringify(stacks)}\n`);
  // Loaded here, so the other commands of the CLI do not load the Lambda client.
  const { listFunctionEnvironments } = await import('../aws/list-function-environments.js');
  const functions = await listFunctionEnvironments({
    endpoint: emulator.endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: MINISTACK_ACCESS_KEY, secretAccessKey: MINISTACK_ACCESS_KEY },
  });
  const client = mergeClientEnvironment(functions, stacks);
  const aws = emulatorEnvironment(emulator.endpoint, {});
  const env: Record<string, string> = {};
  for (const name of [
    'AWS_ENDPOINT_URL',
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
  ]) {
    env[name] = aws[name] ?? '';
  }
  Object.assign(env, client.variables);
  writeFileSync(
    files.env,
    renderDotenv(env, [
      `The local stack on ${emulator.endpoint}, written by celeriac local deploy; it goes with celeriac local down.`,
      `Use it with: node --env-file=${files.env} app.js, or: set -a; source ${files.env}; set +a`,
    ]),
  );
  return { emulator, stacks, outputs, env, conflicts: client.conflicts, files };
}

/** What {@link localStatus} found. */
export interface LocalStatus {
  readonly endpoint: string;
  /** What answers on the endpoint. */
  readonly running: boolean;
  readonly version: string | undefined;
  /** The pid of the emulator `celeriac local up` started, while it runs. */
  readonly pid: number | undefined;
  /** The stacks the last `celeriac local deploy` deployed (none once the emulator is gone). */
  readonly stacks: readonly string[];
  /** The client's environment file, when one is written. */
  readonly envFile: string | undefined;
  readonly files: LocalStateFiles;
}

/** Whether the emulator runs, where, and which stacks were deployed to it. */
export async function localStatus(options: LocalOptions = {}): Promise<LocalStatus> {
  const { files } = context(options);
  const record = ownRecord(files);
  const port = record?.port ?? options.port ?? DEFAULT_EMULATOR_PORT;
  const endpoint = loopbackEndpoint(port);
  const owner = await identifyEndpoint(endpoint, 2000);
  const running = owner.kind === 'ministack';
  return {
    endpoint,
    running,
    version: owner.kind === 'ministack' ? owner.version : undefined,
    pid: running ? record?.pid : undefined,
    stacks: running ? readDeployedStacks(files) : [],
    envFile: running && existsSync(files.env) ? files.env : undefined,
    files,
  };
}

/** What {@link localDown} did. */
export interface LocalDown {
  /** The pid of the emulator stopped, or `undefined` when none of this project's was running. */
  readonly stopped: number | undefined;
  /** A MiniStack on the port that `celeriac local up` did not start, left running. */
  readonly foreign: boolean;
}

/**
 * Stops the emulator `celeriac local up` started, with every Lambda process it ran, and removes the state that
 * pointed at it (record, outputs, client environment, cloud assembly); the logs stay.
 */
export async function localDown(options: LocalOptions = {}): Promise<LocalDown> {
  const { files, port } = context(options);
  const record = readRecord(files);
  if (record === undefined || !isEmulatorProcess(record.pid)) {
    forgetEmulator(files, record);
    const owner = await identifyEndpoint(loopbackEndpoint(options.port ?? record?.port ?? port), 2000);
    return { stopped: undefined, foreign: owner.kind === 'ministack' };
  }
  await stopProcessGroup(record.pid);
  forgetEmulator(files, record);
  return { stopped: record.pid, foreign: false };
}
