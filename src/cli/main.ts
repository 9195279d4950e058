#!/usr/bin/env node
/**
 * The `celeriac` command: a thin shell over the public API. One place maps errors to exit codes:
 * 0 success, 1 runtime failure, 2 usage error, 3 configuration error.
 */
import { ImproperlyConfigured, isCeleriacError } from '../errors.js';
import { BEAT_USAGE, beatCommand } from './beat-command.js';
import { CONTROL_USAGE, controlCommand } from './control-command.js';
import { DLQ_USAGE, dlqCommand } from './dlq-command.js';
import { EVENTS_USAGE, eventsCommand } from './events-command.js';
import { INIT_USAGE, initCommand } from './init-command.js';
import { INSPECT_USAGE, inspectCommand } from './inspect-command.js';
import { LOCAL_USAGE, localCommand } from './local-command.js';
import { UsageError } from './usage-error.js';
import { WORKER_USAGE, workerCommand } from './worker-command.js';

const USAGE = `Usage: celeriac <command> [options]

Commands:
  worker    Run tasks from SQS queues (celeriac worker --help)
  beat      Fire periodic tasks locally (celeriac beat --help)
  init      Write a new project that uses celeriac (celeriac init --help)
  local     Run the project's CDK app on a local emulator (celeriac local --help)
  dlq       Move dead-letter messages back to their queues (celeriac dlq --help)
  events    Tail the workers' events, like celery events --dump (celeriac events --help)
  inspect   Ask the running workers what they do (celeriac inspect --help)
  control   Tell the running workers what to do (celeriac control --help)

Environment: AWS_REGION, AWS_ENDPOINT_URL (an emulator), and the CELERIAC_* variables the CDK constructs set.
`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; usage: string }> = {
  worker: { run: workerCommand, usage: WORKER_USAGE },
  beat: { run: beatCommand, usage: BEAT_USAGE },
  init: { run: initCommand, usage: INIT_USAGE },
  local: { run: localCommand, usage: LOCAL_USAGE },
  dlq: { run: dlqCommand, usage: DLQ_USAGE },
  events: { run: eventsCommand, usage: EVENTS_USAGE },
  inspect: { run: inspectCommand, usage: INSPECT_USAGE },
  control: { run: controlCommand, usage: CONTROL_USAGE },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name ? 0 : 2;
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
