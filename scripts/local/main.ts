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
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_STACK_NAME } from '../../infra/stacks/demo-outputs.js';
import { isCeleriacError } from '../../src/errors.js';
import { mergeClientEnvironment } from '../../src/local/client-environment.js';
import { DEFAULT_EMULATOR_PORT } from '../../src/local/emulator.js';
import {
  emulatorEnvironment,
  LOCAL_REGION,
  MINISTACK_ACCESS_KEY,
  MINISTACK_ACCOUNT,
} from '../../src/local/emulator-environment.js';
import { CdkCommandError } from '../../src/local/local-errors.js';
import { localDown, localUp } from '../../src/local/local-stack.js';
import { ensureStateDir, type LocalStateFiles, readRecord } from '../../src/local/local-state.js';
import { configureDemoEnvironment, runDemo } from './demo.js';
import { type DemoStackOutputs, deployDemo } from './deploy.js';
import { MINISTACK_BIN, REPO_ROOT } from './ministack.js';

const LOCAL_DIR = path.join(REPO_ROOT, '.local');
/** The layout `npm run local` has always had (README, "Local stack"), for the functions of `src/local/`. */
const FILES: LocalStateFiles = {
  dir: LOCAL_DIR,
  record: path.join(LOCAL_DIR, 'ministack.json'),
  emulatorLog: path.join(LOCAL_DIR, 'ministack.log'),
  cdkLog: path.join(LOCAL_DIR, 'cdk.log'),
  assembly: path.join(LOCAL_DIR, 'cdk.out'),
  outputs: path.join(LOCAL_DIR, 'outputs.json'),
  env: path.join(LOCAL_DIR, 'env.sh'),
  stacks: path.join(LOCAL_DIR, 'stacks.json'),
};

const relative = (file: string): string => path.relative(process.cwd(), file) || '.';
const elapsed = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;
/** The emulator of the repository's venv (`scripts/python-env.sh`), not a second copy in the user's cache. */
const LOCAL = {
  files: FILES,
  bin: MINISTACK_BIN,
  starter: 'npm run local',
  print: (line: string) => console.log(line),
};

/** `value` quoted for a POSIX shell. */
const shellQuote = (value: string): string => `'${value.replaceAll("'", "'\\''")}'`;

/**
 * Writes `.local/env.sh`: the emulator's AWS variables and the client's celeriac variables, read from the
 * deployed demo functions as `celeriac local deploy` reads them (queues, default queue, results, payloads, the
 * long-ETA scheduler's group and role).
 */
async function writeEnvFile(endpoint: string): Promise<void> {
  const env = emulatorEnvironment(endpoint, {});
  const { listFunctionEnvironments } = await import('../../src/aws/list-function-environments.js');
  const functions = await listFunctionEnvironments({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: MINISTACK_ACCESS_KEY, secretAccessKey: MINISTACK_ACCESS_KEY },
  });
  const client = mergeClientEnvironment(functions, [DEMO_STACK_NAME]);
  const lines = [
    '# Points a shell at the local stack: `source .local/env.sh` (written by npm run local).',
    ...[
      'AWS_ENDPOINT_URL',
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
    ].map((name) => `export ${name}=${shellQuote(env[name] ?? '')}`),
    ...Object.entries(client.variables).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
    'export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true',
    '',
  ];
  writeFileSync(FILES.env, lines.join('\n'));
}

async function up(port: number): Promise<number> {
  const started = Date.now();
  ensureStateDir(FILES);
  console.log('celeriac local stack: MiniStack + the demo stack (infra/stacks/demo-stack.ts) + a demo\n');
  let endpoint: string;
  try {
    ({ endpoint } = await localUp({ ...LOCAL, port }));
  } catch (error) {
    if (!isCeleriacError(error)) throw error;
    // The messages name celeriac local's commands; here they are npm run local's.
    console.error(
      error.message
        .replace('--port', 'npm run local -- --port')
        .replace('celeriac local down', 'npm run local:stop'),
    );
    return 1;
  }

  let outputs: DemoStackOutputs;
  let stepStart = Date.now();
  writeFileSync(FILES.cdkLog, '');
  try {
    outputs = await deployDemo({
      endpoint,
      assemblyDir: FILES.assembly,
      outputsFile: FILES.outputs,
      logFile: FILES.cdkLog,
      onStep: (step) => {
        if (step !== 'synth') console.log(`  done in ${elapsed(stepStart)}`);
        stepStart = Date.now();
        console.log(
          step === 'synth'
            ? `cdk synth --output ${relative(FILES.assembly)}`
            : step === 'bootstrap'
              ? `cdk bootstrap aws://${MINISTACK_ACCOUNT}/${LOCAL_REGION} --app ${relative(FILES.assembly)}`
              : `cdk deploy ${DEMO_STACK_NAME} --app ${relative(FILES.assembly)} --require-approval never --outputs-file ${relative(FILES.outputs)}`,
        );
      },
    });
  } catch (error) {
    if (error instanceof CdkCommandError) {
      console.error(`\n${error.message}`);
      return 1;
    }
    throw error;
  }
  console.log(`  done in ${elapsed(stepStart)} (CLI output in ${relative(FILES.cdkLog)})\n`);
  await writeEnvFile(endpoint);
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
  const report = await runDemo({ tasks, outputs, endpoint, emulatorLog: relative(FILES.emulatorLog) });

  console.log(`\n${report.ok ? 'Done' : 'The demo did not go as expected'} in ${elapsed(started)}.`);
  console.log(`MiniStack keeps running on ${endpoint}, with the stack deployed. Next:`);
  const next: [string, string][] = [
    [`source ${relative(FILES.env)}`, 'point a shell (the SDK, the AWS CLI) at the stack'],
    [`grep -A1 'ESM:' ${relative(FILES.emulatorLog)}`, 'each Lambda invocation and what the worker logged'],
    [
      `source ${relative(FILES.env)}; npm run celeriac -- dashboard`,
      'the dashboard on http://127.0.0.1:5555/ (queues, tasks, workers, dead letters)',
    ],
    ['npm run local', 'deploy your changes and run the demo again'],
    ['npm run local:stop', 'stop MiniStack (its state is in memory and goes with it)'],
  ];
  const column = Math.max(...next.map(([command]) => command.length)) + 2;
  for (const [command, what] of next) console.log(`  ${command.padEnd(column)}# ${what}`);
  return report.ok ? 0 : 1;
}

async function stop(port: number | undefined): Promise<number> {
  // The port of the MiniStack npm run local recorded, unless one is named.
  const recorded = readRecord(FILES)?.port;
  const down = await localDown({ ...LOCAL, ...(port === undefined ? {} : { port }) });
  const on = port ?? recorded ?? DEFAULT_EMULATOR_PORT;
  if (down.stopped !== undefined) {
    console.log(
      `Stopped MiniStack (pid ${down.stopped}) on 127.0.0.1:${on}. Its state was in memory and is gone.`,
    );
    return 0;
  }
  if (down.foreign) {
    console.error(
      `MiniStack on 127.0.0.1:${on} was not started by npm run local; stop it where it was started.`,
    );
    return 1;
  }
  console.log('No MiniStack started by npm run local is running.');
  return 0;
}

const OPTIONS = { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

const USAGE = `Usage: npm run local [-- --port <port>]   start (or reuse) MiniStack, deploy the demo stack, run the demo
       npm run local:stop [-- --port <port>]   stop the MiniStack npm run local started`;

function usageError(problem: string): number {
  console.error(`${problem}\n\n${USAGE}`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    // An unknown option or one without its value: parseArgs says which.
    return usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const port = values.port === undefined || !/^\d{1,5}$/.test(values.port) ? Number.NaN : Number(values.port);
  if (values.port !== undefined && !(port >= 1 && port <= 65_535)) {
    return usageError(`--port must be a TCP port number (1-65535), got ${JSON.stringify(values.port)}`);
  }
  const chosen = values.port === undefined ? undefined : port;
  if (positionals.length > 1) return usageError(`Unexpected arguments: ${positionals.slice(1).join(' ')}`);
  const [command = 'up'] = positionals;
  if (command === 'up') return await up(chosen ?? DEFAULT_EMULATOR_PORT);
  if (command === 'stop') return await stop(chosen);
  return usageError(`Unknown command ${JSON.stringify(command)}`);
}

// Exit explicitly: the SDK clients' keep-alive sockets would hold the process open.
process.exit(await main(process.argv.slice(2)));
