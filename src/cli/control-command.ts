/**
 * `celeriac control <command>`: Celery's `control`, through control records the workers read at their heartbeat.
 * `revoke` needs no worker: it stores REVOKED, which every worker's claim refuses, and with `--terminate` a
 * worker running the task stops it at its next lease renewal.
 */
import { parseArgs } from 'node:util';
import { ControlName } from '../monitoring/control-command.js';
import {
  fromReplies,
  MONITORING_OPTIONS,
  MONITORING_OPTIONS_USAGE,
  monitoringContext,
  printAnswers,
} from './monitoring-context.js';
import { UsageError } from './usage-error.js';

export const CONTROL_USAGE = `Usage: celeriac control <command> [arguments] [options]

Tells the running workers to do something, through control records they read at their heartbeat, and prints
their replies (gathered until every live worker answered, or --timeout).

Commands:
  revoke <task id>... [--terminate]   Store REVOKED; with --terminate, also stop the task where it runs
  rate-limit <task name> <rate>       Celery's rate_limit (celeriac workers answer that they have none)
  shutdown                            Stop the workers (celeriac worker only; Lambda answers with an error)
  add-consumer <queue>                Start consuming a Celery queue (celeriac worker only)
  cancel-consumer <queue>             Stop consuming a Celery queue (celeriac worker only)

Options:
${MONITORING_OPTIONS_USAGE}
  --terminate              With revoke: stop the task if it is running
`;

/** Each command: its Celery name and how its positional arguments become the record's arguments. */
const COMMANDS: Record<
  string,
  { readonly name: string; readonly args: (rest: string[]) => Record<string, unknown> }
> = {
  'rate-limit': {
    name: ControlName.RATE_LIMIT,
    args: ([task, rate]) => {
      if (!task || !rate)
        throw new UsageError(`rate-limit needs a task name and a rate, e.g. 10/m\n\n${CONTROL_USAGE}`);
      return { task_name: task, rate_limit: rate };
    },
  },
  shutdown: { name: ControlName.SHUTDOWN, args: () => ({}) },
  'add-consumer': {
    name: ControlName.ADD_CONSUMER,
    args: ([queue]) => {
      if (!queue) throw new UsageError(`add-consumer needs a queue name\n\n${CONTROL_USAGE}`);
      return { queue };
    },
  },
  'cancel-consumer': {
    name: ControlName.CANCEL_CONSUMER,
    args: ([queue]) => {
      if (!queue) throw new UsageError(`cancel-consumer needs a queue name\n\n${CONTROL_USAGE}`);
      return { queue };
    },
  },
};

/** Runs the command; throws when no worker answered. Error replies are printed as `ERROR`. */
export async function controlCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...MONITORING_OPTIONS, terminate: { type: 'boolean' } },
    allowPositionals: true,
  });
  const [command, ...rest] = positionals;
  if (command === 'revoke') {
    if (rest.length === 0) throw new UsageError(`revoke needs one or more task ids\n\n${CONTROL_USAGE}`);
    const ctx = await monitoringContext(values);
    const terminate = values.terminate === true;
    for (const id of rest) await ctx.app.revoke(id, { terminate });
    printAnswers(
      [
        {
          node: 'results',
          ok: `tasks flagged as revoked${terminate ? ' (terminate)' : ''}: ${rest.join(', ')}`,
        },
      ],
      ctx.json,
      'revoke',
    );
    return;
  }
  const spec = command === undefined ? undefined : COMMANDS[command];
  if (!spec) {
    throw new UsageError(
      `Expected a command, revoke, ${Object.keys(COMMANDS).join(', ')}; got ${JSON.stringify(command ?? '')}\n\n${CONTROL_USAGE}`,
    );
  }
  const args = spec.args(rest);
  const ctx = await monitoringContext(values);
  const replies = await ctx.control.broadcast(spec.name, args, {
    timeoutMs: ctx.timeoutMs,
    ...(ctx.destination ? { destination: ctx.destination } : {}),
  });
  printAnswers(fromReplies(replies), ctx.json, `control ${command}`);
}
