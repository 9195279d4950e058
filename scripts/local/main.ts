/**
 * `npm run local` (through `scripts/local.sh`): the local stack with the demo.
 *
 *   npm run local                 start MiniStack on 127.0.0.1:4566 (or reuse it), deploy the demo stack, run the demo
 *   npm run local -- --port 4567  the same on another port
 *   npm run local:stop            stop the MiniStack that `npm run local` started
 *
 * Everything it writes goes under `.local/`: MiniStack's log and pid record, the CDK log, the cloud assembly,
 * the stack outputs, and `env.sh` with the variables that point a shell at the stack.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_STACK_NAME } from '../../infra/stacks/demo-outputs.js';
import { configureDemoEnvironment, runDemo } from './demo.js';
import {
  bootstrapAndDeploy,
  CdkCommandError,
  type DemoStackOutputs,
  emulatorEnvironment,
  LOCAL_REGION,
} from './deploy.js';
import {
  identifyEndpoint,
  loopbackEndpoint,
  MINISTACK_ACCOUNT,
  MINISTACK_HEALTH_PATH,
  REPO_ROOT,
  spawnMiniStack,
} from './ministack.js';

const LOCAL_DIR = path.join(REPO_ROOT, '.local');
const FILES = {
  state: path.join(LOCAL_DIR, 'ministack.json'),
  ministackLog: path.join(LOCAL_DIR, 'ministack.log'),
  cdkLog: path.join(LOCAL_DIR, 'cdk.log'),
  assembly: path.join(LOCAL_DIR, 'cdk.out'),
  outputs: path.join(LOCAL_DIR, 'outputs.json'),
  env: path.join(LOCAL_DIR, 'env.sh'),
} as const;

const DEFAULT_PORT = 4566;

/** What `npm run local` records about the MiniStack it started. */
interface MiniStackRecord {
  readonly pid: number;
  readonly port: number;
  readonly endpoint: string;
  readonly tempDir: string;
  readonly startedAt: string;
}

const relative = (file: string): string => path.relative(process.cwd(), file) || '.';
const elapsed = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

function readRecord(): MiniStackRecord | undefined {
  if (!existsSync(FILES.state)) return undefined;
  try {
    return JSON.parse(readFileSync(FILES.state, 'utf8')) as MiniStackRecord;
  } catch {
    return undefined;
  }
}

/** True when `pid` is a running MiniStack (not a process that reused the id). */
function isMiniStackProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('ministack');
  } catch {
    try {
      process.kill(pid, 0);
      return true; // No /proc (macOS): trust the record.
    } catch {
      return false;
    }
  }
}

function forgetRecord(record: MiniStackRecord | undefined): void {
  if (record !== undefined) rmSync(record.tempDir, { recursive: true, force: true });
  rmSync(FILES.state, { force: true });
  // The stack it pointed at is gone with MiniStack: a stale env.sh would point a shell at nothing.
  rmSync(FILES.env, { force: true });
}

/** Starts MiniStack in the background and waits until it answers. */
async function startMiniStack(port: number): Promise<MiniStackRecord> {
  const log = openSync(FILES.ministackLog, 'w');
  const { child, endpoint, tempDir } = spawnMiniStack({ port, output: log, detached: true });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`MiniStack did not start; see ${relative(FILES.ministackLog)}`);
  let exited: number | string | undefined;
  child.once('exit', (code, signal) => {
    exited = code ?? signal ?? 'unknown';
  });
  child.unref();
  const record: MiniStackRecord = { pid, port, endpoint, tempDir, startedAt: new Date().toISOString() };
  writeFileSync(FILES.state, `${JSON.stringify(record, null, 2)}\n`);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      forgetRecord(record);
      const tail = readFileSync(FILES.ministackLog, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
      throw new Error(`MiniStack exited (${exited}) before answering. The end of its log:\n${tail}`);
    }
    if ((await identifyEndpoint(endpoint, 1000)).kind === 'ministack') return record;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `MiniStack did not answer on ${endpoint}${MINISTACK_HEALTH_PATH} within 60 s; see ${relative(FILES.ministackLog)}`,
  );
}

function writeEnvFile(endpoint: string, outputs: DemoStackOutputs): void {
  const env = emulatorEnvironment(endpoint, {});
  const lines = [
    '# Points a shell at the local stack: `source .local/env.sh` (written by npm run local).',
    ...[
      'AWS_ENDPOINT_URL',
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
    ].map((name) => `export ${name}=${env[name] ?? ''}`),
    `export CELERIAC_QUEUE_URLS='${JSON.stringify({ celery: outputs.queueUrl })}'`,
    `export CELERIAC_RESULT_TABLE=${outputs.tableName}`,
    `export CELERIAC_PAYLOAD_BUCKET=${outputs.bucketName}`,
    'export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true',
    '',
  ];
  writeFileSync(FILES.env, lines.join('\n'));
}

async function up(port: number): Promise<number> {
  const started = Date.now();
  const endpoint = loopbackEndpoint(port);
  mkdirSync(LOCAL_DIR, { recursive: true });
  console.log('celeriac local stack: MiniStack + the demo stack (infra/stacks/demo-stack.ts) + a demo\n');

  const owner = await identifyEndpoint(endpoint);
  let record = readRecord();
  if (owner.kind === 'other') {
    console.error(
      `127.0.0.1:${port} is held by ${owner.description}. The local stack needs MiniStack there: stop what ` +
        `holds the port (a LocalStack or Floci container?), or use another port: npm run local -- --port ${port + 1}`,
    );
    return 1;
  }
  if (owner.kind === 'ministack') {
    const ours = record !== undefined && record.port === port && isMiniStackProcess(record.pid);
    console.log(
      `MiniStack ${owner.version} already runs on ${endpoint}; reusing it` +
        (ours
          ? ` (started earlier by npm run local, pid ${record?.pid}).`
          : ' (not started by npm run local).'),
    );
  } else {
    if (record !== undefined && record.port !== port && isMiniStackProcess(record.pid)) {
      console.error(
        `npm run local already runs MiniStack on ${record.endpoint} (pid ${record.pid}); stop it first with ` +
          `npm run local:stop, or keep using it: npm run local -- --port ${record.port}`,
      );
      return 1;
    }
    if (record !== undefined) forgetRecord(record); // A MiniStack that is gone.
    const t = Date.now();
    record = await startMiniStack(port);
    console.log(
      `MiniStack started on ${endpoint} in ${elapsed(t)} (pid ${record.pid}, log ${relative(FILES.ministackLog)})`,
    );
  }

  let outputs: DemoStackOutputs;
  let stepStart = Date.now();
  writeFileSync(FILES.cdkLog, '');
  try {
    outputs = await bootstrapAndDeploy({
      endpoint,
      assemblyDir: FILES.assembly,
      outputsFile: FILES.outputs,
      logFile: FILES.cdkLog,
      onStep: (step) => {
        if (step === 'deploy') console.log(`  done in ${elapsed(stepStart)}`);
        stepStart = Date.now();
        console.log(
          step === 'bootstrap'
            ? `cdk bootstrap aws://${MINISTACK_ACCOUNT}/${LOCAL_REGION}`
            : `cdk deploy ${DEMO_STACK_NAME} --require-approval never --outputs-file ${relative(FILES.outputs)}`,
        );
      },
    });
  } catch (error) {
    if (error instanceof CdkCommandError) {
      console.error(`\n${error.message}\n\nThe whole output is in ${relative(FILES.cdkLog)}.`);
      return 1;
    }
    throw error;
  }
  console.log(`  done in ${elapsed(stepStart)} (CLI output in ${relative(FILES.cdkLog)})\n`);
  writeEnvFile(endpoint, outputs);
  console.log(`Stack ${DEMO_STACK_NAME} (outputs in ${relative(FILES.outputs)}):`);
  console.log(`  task queue          ${outputs.queueUrl}`);
  console.log(`  dead-letter queue   ${outputs.deadLetterQueueUrl}`);
  console.log(`  results table       ${outputs.tableName}`);
  console.log(`  payload bucket      ${outputs.bucketName}`);
  console.log(`  worker Lambda       ${outputs.workerFunctionName}`);
  console.log(
    '                      runs examples/tasks.ts; MiniStack invokes it for SQS batches, as Lambda does\n',
  );

  configureDemoEnvironment(outputs, endpoint);
  Object.assign(process.env, emulatorEnvironment(endpoint, {}));
  const tasks = await import('../../examples/tasks.js');
  const report = await runDemo({ tasks, outputs, endpoint, emulatorLog: relative(FILES.ministackLog) });

  console.log(`\n${report.ok ? 'Done' : 'The demo did not go as expected'} in ${elapsed(started)}.`);
  console.log(`MiniStack keeps running on ${endpoint}, with the stack deployed. Next:`);
  const next: [string, string][] = [
    [`source ${relative(FILES.env)}`, 'point a shell (the SDK, the AWS CLI) at the stack'],
    [`grep -A1 'ESM:' ${relative(FILES.ministackLog)}`, 'each Lambda invocation and what the worker logged'],
    ['npm run local', 'deploy your changes and run the demo again'],
    ['npm run local:stop', 'stop MiniStack (its state is in memory and goes with it)'],
  ];
  const column = Math.max(...next.map(([command]) => command.length)) + 2;
  for (const [command, what] of next) console.log(`  ${command.padEnd(column)}# ${what}`);
  return report.ok ? 0 : 1;
}

async function stop(port: number): Promise<number> {
  const record = readRecord();
  if (record === undefined || !isMiniStackProcess(record.pid)) {
    forgetRecord(record);
    const owner = await identifyEndpoint(loopbackEndpoint(port));
    if (owner.kind === 'ministack') {
      console.error(
        `MiniStack on 127.0.0.1:${port} was not started by npm run local; stop it where it was started.`,
      );
      return 1;
    }
    console.log('No MiniStack started by npm run local is running.');
    return 0;
  }
  // MiniStack runs in its own process group with the Lambda workers it started: stop them all.
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-record.pid, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup('SIGTERM');
  const deadline = Date.now() + 10_000;
  while (isMiniStackProcess(record.pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (isMiniStackProcess(record.pid)) signalGroup('SIGKILL');
  forgetRecord(record);
  console.log(
    `Stopped MiniStack (pid ${record.pid}) on ${record.endpoint}. Its state was in memory and is gone.`,
  );
  return 0;
}

const USAGE = `Usage: npm run local [-- --port <port>]   start (or reuse) MiniStack, deploy the demo stack, run the demo
       npm run local:stop [-- --port <port>]   stop the MiniStack npm run local started`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    console.error(`--port must be a TCP port number, got ${JSON.stringify(values.port)}\n\n${USAGE}`);
    return 2;
  }
  const [command = 'up'] = positionals;
  if (command === 'up') return await up(port);
  if (command === 'stop') return await stop(port);
  console.error(`Unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  return 2;
}

// Exit explicitly: the SDK clients' keep-alive sockets would hold the process open.
process.exit(await main(process.argv.slice(2)));
