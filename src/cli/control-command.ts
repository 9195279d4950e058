/**
 * `celeriac control <command>`: Celery's `control`, through control records the workers read at their heartbeat.
 * `revoke` needs no worker: it stores REVOKED, which every worker's claim refuses, and with `--terminate` a
 * worker running the task stops it at its next lease renewal.
 */
import { parseArgs } from 'node:util';
import { InvalidOptionError } from '../errors.js';
import {
  EMPTY_LIMITS,
  type LimitOverride,
  type LimitsRecord,
  parseLimitsRecord,
  validateOverride,
  withOverride,
} from '../flow/limits-record.js';
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
  rate-limit <task name> <rate|default> [--key-rate <rate>] [--key-concurrency <n>]
                                      Celery's rate_limit, fleet-wide: writes the limits record, which every
                                      worker reads within 10 s (no worker needs to answer). <rate> is 10/s,
                                      100/m, 1000/h or 0 (no limit); default goes back to the limits in code
  shutdown                            Stop the workers (celeriac worker only; Lambda answers with an error)
  add-consumer <queue>                Start consuming a Celery queue (celeriac worker only)
  cancel-consumer <queue>             Stop consuming a Celery queue (celeriac worker only)

Options:
${MONITORING_OPTIONS_USAGE}
  --terminate              With revoke: stop the task if it is running
  --key-rate <rate>        With rate-limit: the rate of each key (tasks with rateLimitKey)
  --key-concurrency <n>    With rate-limit: most runs of one key at once

Examples:
  celeriac control rate-limit tasks.charge 50/s
  celeriac control rate-limit tasks.charge 50/s --key-rate 5/s --key-concurrency 2
  celeriac control rate-limit tasks.charge default
  celeriac control revoke 3f6c2d1e-... --terminate
`;

/** Each command: its Celery name and how its positional arguments become the record's arguments. */
const COMMANDS: Record<
  string,
  { readonly name: string; readonly args: (rest: string[]) => Record<string, unknown> }
> = {
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

/** The override `rate-limit` writes: undefined for `default` (the limits in code). */
function toOverride(
  task: string,
  rate: string,
  keyRate: string | undefined,
  keyConcurrency: string | undefined,
): LimitOverride | undefined {
  if (rate === 'default') {
    if (keyRate !== undefined || keyConcurrency !== undefined) {
      throw new UsageError('rate-limit <task> default takes no --key-rate or --key-concurrency');
    }
    return undefined;
  }
  try {
    return validateOverride(task, {
      rateLimit: rate,
      ...(keyRate === undefined ? {} : { keyRateLimit: keyRate }),
      ...(keyConcurrency === undefined ? {} : { keyConcurrency: Number(keyConcurrency) }),
    });
  } catch (error) {
    if (error instanceof InvalidOptionError) throw new UsageError(error.message);
    throw error;
  }
}

/** Runs the command; throws when no worker answered. Error replies are printed as `ERROR`. */
export async function controlCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...MONITORING_OPTIONS,
      terminate: { type: 'boolean' },
      'key-rate': { type: 'string' },
      'key-concurrency': { type: 'string' },
    },
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
          reply: true,
          ok: `tasks flagged as revoked${terminate ? ' (terminate)' : ''}: ${rest.join(', ')}`,
        },
      ],
      ctx.json,
      'revoke',
      'control',
    );
    return;
  }
  if (command === 'rate-limit') {
    const [task, rate] = rest;
    if (!task || !rate) {
      throw new UsageError(
        `rate-limit needs a task name and a rate, e.g. 10/m or default\n\n${CONTROL_USAGE}`,
      );
    }
    const override = toOverride(task, rate, values['key-rate'], values['key-concurrency']);
    const ctx = await monitoringContext(values);
    const store = ctx.app.runtime.flowStore;
    if (!store) throw new UsageError('this app has no shared flow store: its limits hold per process');
    const text = await store.readLimits();
    let record: LimitsRecord = EMPTY_LIMITS;
    if (text !== undefined) {
      try {
        record = parseLimitsRecord(text);
      } catch (error) {
        process.stderr.write(`replacing a damaged limits record (${(error as Error).message})\n`);
      }
    }
    await store.writeLimits(JSON.stringify(withOverride(record, task, override)));
    const said = override ? JSON.stringify(override) : 'the limits in code';
    printAnswers(
      [{ node: 'limits', reply: true, ok: `${task}: ${said}; workers apply it within 10 s` }],
      ctx.json,
      'rate-limit',
      'control',
    );
    return;
  }
  const spec = command === undefined ? undefined : COMMANDS[command];
  if (!spec) {
    throw new UsageError(
      `Expected a command, revoke, rate-limit, ${Object.keys(COMMANDS).join(', ')}; got ${JSON.stringify(command ?? '')}\n\n${CONTROL_USAGE}`,
    );
  }
  const args = spec.args(rest);
  const ctx = await monitoringContext(values);
  const replies = await ctx.control.broadcast(spec.name, args, {
    timeoutMs: ctx.timeoutMs,
    ...(ctx.destination ? { destination: ctx.destination } : {}),
  });
  printAnswers(fromReplies(replies), ctx.json, `control ${command}`, 'control');
}
