/** `celeriac local up|deploy|status|logs|down`: the project's CDK app on a local emulator (docs/local.md). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_EMULATOR_PORT } from '../local/emulator.js';
import { readLambdaLogs } from '../local/lambda-logs.js';
import { localDeploy, localDown, localStatus, localUp } from '../local/local-stack.js';
import { localStateFiles } from '../local/local-state.js';
import { UsageError } from './usage-error.js';

export const LOCAL_USAGE = `Usage: celeriac local <up|deploy|status|logs|down> [options]

Runs the project's CDK app on MiniStack, a local AWS emulator, on 127.0.0.1 (docs/local.md).

Commands:
  up                     Start MiniStack in the background (installed into ~/.cache/celeriac the first time)
  deploy [stacks...]     up if needed, then cdk bootstrap and cdk deploy (all stacks unless named); writes
                         the client's environment to .celeriac/local/env and the outputs to outputs.json
  status                 Whether MiniStack runs, where, and the stacks deployed to it
  logs [--follow]        The Lambda functions' logs (--all: MiniStack's whole log)
  down                   Stop MiniStack and every Lambda process it ran; remove the state it leaves

Options:
  --port <n>             Loopback port of MiniStack (default ${DEFAULT_EMULATOR_PORT})
  --app <command>        deploy: the CDK app command (default: the one in cdk.json)
  --dir <path>           The project directory (default: the current one)
  --state-dir <path>     Where the state goes: record, logs, outputs, env (default <dir>/.celeriac/local);
                         a second stack, such as a test's, keeps its own and leaves the first one's alone
  --follow, -f           logs: keep printing new lines until Ctrl-C
  --all                  logs: every line of MiniStack's log

Examples:
  celeriac local deploy
  celeriac local logs --follow
  celeriac local deploy --port 4577 --state-dir .celeriac/test
  celeriac local down
`;

/** The subcommands. */
export const LocalSubcommand = {
  UP: 'up',
  DEPLOY: 'deploy',
  STATUS: 'status',
  LOGS: 'logs',
  DOWN: 'down',
} as const;
export type LocalSubcommand = (typeof LocalSubcommand)[keyof typeof LocalSubcommand];

/** A parsed `celeriac local` command line. */
export interface LocalArgs {
  readonly subcommand: LocalSubcommand;
  readonly projectDir: string;
  /** The state directory (`--state-dir`), absolute; `undefined` for `<project>/.celeriac/local`. */
  readonly stateDir: string | undefined;
  readonly port: number | undefined;
  readonly app: string | undefined;
  readonly stacks: readonly string[];
  readonly follow: boolean;
  readonly all: boolean;
}

/** Parses `celeriac local ...` (without `local`); throws {@link UsageError} for what it cannot run. */
export function parseLocalArgs(argv: readonly string[], cwd = process.cwd()): LocalArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      app: { type: 'string' },
      dir: { type: 'string' },
      'state-dir': { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
      all: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [name, ...rest] = positionals;
  const subcommands: readonly string[] = Object.values(LocalSubcommand);
  if (name === undefined) throw new UsageError(`Name a command: ${subcommands.join(', ')}\n\n${LOCAL_USAGE}`);
  if (!subcommands.includes(name)) {
    throw new UsageError(`Unknown command ${JSON.stringify(name)} for celeriac local\n\n${LOCAL_USAGE}`);
  }
  const subcommand = name as LocalSubcommand;
  if (rest.length > 0 && subcommand !== LocalSubcommand.DEPLOY) {
    throw new UsageError(`celeriac local ${subcommand} takes no arguments, got ${rest.join(' ')}`);
  }
  if (values.app !== undefined && subcommand !== LocalSubcommand.DEPLOY) {
    throw new UsageError(`--app applies to celeriac local deploy only`);
  }
  if ((values.follow || values.all) && subcommand !== LocalSubcommand.LOGS) {
    throw new UsageError(`--follow and --all apply to celeriac local logs only`);
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port < 1 || port > 65_535) {
      throw new UsageError(
        `Expected --port to be a TCP port number (1-65535), got ${JSON.stringify(values.port)}`,
      );
    }
  }
  if (values.app?.trim() === '') throw new UsageError('Expected --app to be a command, got an empty string');
  const stateDir = values['state-dir'];
  if (stateDir?.trim() === '') throw new UsageError('Expected --state-dir to be a path, got an empty string');
  return {
    subcommand,
    projectDir: path.resolve(cwd, values.dir ?? '.'),
    stateDir: stateDir === undefined ? undefined : path.resolve(cwd, stateDir),
    port,
    app: values.app,
    stacks: rest,
    follow: values.follow === true,
    all: values.all === true,
  };
}

const print = (line: string): void => console.log(line);

/** The options every local-stack operation takes, from the command line. */
const stackOptions = (args: LocalArgs) => ({
  projectDir: args.projectDir,
  port: args.port,
  files: localStateFiles(args.projectDir, args.stateDir),
  print,
});

async function deploy(args: LocalArgs): Promise<void> {
  if (args.app === undefined && !existsSync(path.join(args.projectDir, 'cdk.json'))) {
    throw new UsageError(
      `${args.projectDir} has no cdk.json: run celeriac local deploy in the CDK project, or name the app with ` +
        `--app '<command>' (e.g. --app 'npx tsx bin/app.ts')`,
    );
  }
  const started = Date.now();
  const deployment = await localDeploy({ ...stackOptions(args), app: args.app, stacks: args.stacks });
  const relative = (file: string): string => path.relative(process.cwd(), file) || '.';
  const { stacks } = deployment;
  print(
    `\nDeployed ${stacks.join(', ') || 'the app'} to ${deployment.emulator.endpoint} in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
  );
  for (const [stack, outputs] of Object.entries(deployment.outputs)) {
    for (const [key, value] of Object.entries(outputs)) print(`  ${stack}.${key}  ${value}`);
  }
  print(`\nClient environment (${relative(deployment.files.env)}):`);
  for (const [name, value] of Object.entries(deployment.env)) {
    if (name.startsWith('CELERIAC_') || name === 'AWS_ENDPOINT_URL') print(`  ${name}=${value}`);
  }
  if (!('CELERIAC_QUEUE_URLS' in deployment.env)) {
    print(
      '  (no deployed function has celeriac queues: grant a TaskQueue to a function to get CELERIAC_QUEUE_URLS)',
    );
  }
  for (const conflict of deployment.conflicts) print(`  note: ${conflict}`);
  print('\nNext:');
  print(
    `  node --env-file=${relative(deployment.files.env)} your-client.js   # or: set -a; source ${relative(deployment.files.env)}; set +a`,
  );
  print(
    '  celeriac dashboard                            # http://127.0.0.1:5555/, with the environment above',
  );
  print('  celeriac local logs --follow                  # what the Lambda functions print');
  print(
    '  celeriac local down                           # stop MiniStack (its state is in memory and goes with it)',
  );
}

async function status(args: LocalArgs): Promise<void> {
  const s = await localStatus(stackOptions(args));
  if (!s.running) {
    print(`MiniStack is not running on ${s.endpoint}. Start it with: celeriac local up (or deploy)`);
    return;
  }
  print(
    `MiniStack ${s.version} runs on ${s.endpoint}${s.pid === undefined ? ' (not started by celeriac local)' : ` (pid ${s.pid})`}`,
  );
  print(
    s.stacks.length === 0 ? 'No stack deployed by celeriac local deploy.' : `Stacks: ${s.stacks.join(', ')}`,
  );
  if (s.envFile !== undefined) print(`Client environment: ${s.envFile}`);
}

async function logs(args: LocalArgs): Promise<void> {
  const { files } = stackOptions(args);
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const count = await readLambdaLogs(files.emulatorLog, print, {
      follow: args.follow,
      all: args.all,
      signal: controller.signal,
    });
    if (count === 0 && !args.follow) {
      print(`No Lambda log lines yet in ${files.emulatorLog} (celeriac local up writes it).`);
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** Runs the command. */
export async function localCommand(argv: string[]): Promise<void> {
  const args = parseLocalArgs(argv);
  const options = stackOptions(args);
  switch (args.subcommand) {
    case LocalSubcommand.UP: {
      const emulator = await localUp(options);
      print(`Endpoint: ${emulator.endpoint}. Deploy the app with: celeriac local deploy`);
      return;
    }
    case LocalSubcommand.DEPLOY:
      return await deploy(args);
    case LocalSubcommand.STATUS:
      return await status(args);
    case LocalSubcommand.LOGS:
      return await logs(args);
    case LocalSubcommand.DOWN: {
      const down = await localDown(options);
      if (down.stopped !== undefined) {
        print(
          `Stopped MiniStack (pid ${down.stopped}) and its Lambda processes; its state was in memory and is gone.`,
        );
      } else if (down.foreign) {
        print(
          'The MiniStack on that port was not started by celeriac local up; stop it where it was started.',
        );
      } else {
        print('No MiniStack started by celeriac local up is running.');
      }
      return;
    }
  }
}
