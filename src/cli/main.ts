#!/usr/bin/env node
/**
 * The `celeriac` command: a thin shell over the public API. One place maps errors to exit codes:
 * 0 success, 1 runtime failure, 2 usage error, 3 configuration error.
 */
import { readFileSync } from 'node:fs';
import { DASHBOARD_USAGE, dashboardCommand } from '../dashboard/dashboard-command.js';
import { ImproperlyConfigured, isCeleriacError } from '../errors.js';
import { BEAT_USAGE, beatCommand } from './beat-command.js';
import { CALL_USAGE, callCommand } from './call-command.js';
import { CONTROL_USAGE, controlCommand } from './control-command.js';
import { COST_USAGE, costCommand } from './cost-command.js';
import { DLQ_USAGE, dlqCommand } from './dlq-command.js';
import { EVENTS_USAGE, eventsCommand } from './events-command.js';
import { INIT_USAGE, initCommand } from './init-command.js';
import { INSPECT_USAGE, inspectCommand } from './inspect-command.js';
import { LOCAL_USAGE, localCommand } from './local-command.js';
import { PURGE_USAGE, purgeCommand } from './purge-command.js';
import { RESULT_USAGE, resultCommand } from './result-command.js';
import { ROUTE_USAGE, routeCommand } from './route-command.js';
import { SHADOW_USAGE, shadowCommand } from './shadow-command.js';
import { STATUS_USAGE, statusCommand } from './status-command.js';
import { UsageError } from './usage-error.js';
import { WORKER_USAGE, workerCommand } from './worker-command.js';

const USAGE = `Usage: celeriac <command> [options]

Commands:
  worker    Run tasks from SQS queues (celeriac worker --help)
  beat      Fire periodic tasks locally (celeriac beat --help)
  init      Write a new project that uses celeriac (celeriac init --help)
  local     Run the project's CDK app on a local emulator (celeriac local --help)
  call      Send a task by name, optionally wait for its result (celeriac call --help)
  result    Show a task's state and result (celeriac result --help)
  purge     Delete every message of queues (celeriac purge --help)
  dlq       List, show, redrive or delete dead letters (celeriac dlq --help)
  status    Queues, dead-letter queues and online workers (celeriac status --help)
  cost      What a task mix costs on AWS: Lambda, a container, Python Celery (celeriac cost --help)
  events    Tail the workers' events, like celery events --dump (celeriac events --help)
  inspect   Ask the running workers what they do (celeriac inspect --help)
  control   Tell the running workers what to do (celeriac control --help)
  dashboard Serve a web dashboard on 127.0.0.1:5555, like celery flower (celeriac dashboard --help)
  route     Say which side, Python Celery or celeriac, runs a task name (celeriac route --help)
  shadow    Compare shadow results with Python's (celeriac shadow --help)

Options: --version, -V   Print the version (with --json: {"version": ...})

Environment: AWS_REGION, AWS_ENDPOINT_URL (an emulator), and the CELERIAC_* variables the CDK constructs set.
Exit codes: 0 ok; 1 failed (a task failed, not found, denied); 2 usage error; 3 configuration error.
`;

/** The version in package.json (two levels up from src/cli and from dist/src/cli alike). */
function version(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'celeriac' && pkg.version) return pkg.version;
    } catch {
      // Not this level.
    }
  }
  return 'unknown';
}

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; usage: string }> = {
  worker: { run: workerCommand, usage: WORKER_USAGE },
  beat: { run: beatCommand, usage: BEAT_USAGE },
  init: { run: initCommand, usage: INIT_USAGE },
  local: { run: localCommand, usage: LOCAL_USAGE },
  call: { run: callCommand, usage: CALL_USAGE },
  result: { run: resultCommand, usage: RESULT_USAGE },
  purge: { run: purgeCommand, usage: PURGE_USAGE },
  dlq: { run: dlqCommand, usage: DLQ_USAGE },
  status: { run: statusCommand, usage: STATUS_USAGE },
  cost: { run: costCommand, usage: COST_USAGE },
  events: { run: eventsCommand, usage: EVENTS_USAGE },
  inspect: { run: inspectCommand, usage: INSPECT_USAGE },
  control: { run: controlCommand, usage: CONTROL_USAGE },
  dashboard: { run: dashboardCommand, usage: DASHBOARD_USAGE },
  route: { run: routeCommand, usage: ROUTE_USAGE },
  shadow: { run: shadowCommand, usage: SHADOW_USAGE },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    console.log(rest.includes('--json') ? JSON.stringify({ version: version() }) : `celeriac ${version()}`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`Unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
    ) {
      console.error(error.message);
      return 2;
    }
    if (error instanceof ImproperlyConfigured) {
      console.error(`${error.name}: ${error.message}`);
      return 3;
    }
    console.error(isCeleriacError(error) ? `${error.name}: ${error.message}` : error);
    return 1;
  }
}

// Exit explicitly: a worker that handed running tasks back must not linger until their timers fire.
process.exit(await main(process.argv.slice(2)));
