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
import { DEFAULT_EMULATOR_PORT } from '../../src/local/emulator.js';
import {
  emulatorEnvironment,
  LOCAL_REGION,
  MINISTACK_ACCOUNT,
} from '../../src/local/emulator-environment.js';
import { CdkCommandError } from '../../src/local/local-errors.js';
import { localDown, localUp } from '../../src/local/local-stack.js';
import { ensureStateDir, type LocalStateFiles } from '../../src/local/local-state.js';
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
      console.error(`\n${error.message}`);
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

async function stop(port: number): Promise<number> {
  const down = await localDown({ ...LOCAL, port });
  if (down.stopped !== undefined) {
    console.log(
      `Stopped MiniStack (pid ${down.stopped}) on 127.0.0.1:${port}. Its state was in memory and is gone.`,
    );
    return 0;
  }
  if (down.foreign) {
    console.error(
      `MiniStack on 127.0.0.1:${port} was not started by npm run local; stop it where it was started.`,
    );
    return 1;
  }
  console.log('No MiniStack started by npm run local is running.');
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
  const port = values.port === undefined ? DEFAULT_EMULATOR_PORT : Number(values.port);
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
