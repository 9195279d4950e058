/** `celeriac call <task> [args...]`: sends a task by name, as `celery call`, and optionally waits for its result. */
import { parseArgs } from 'node:util';
import { CeleriacError } from '../errors.js';
import type { CallRequest } from '../ops/tasks.js';
import { callTask, waitTask } from '../ops/tasks.js';
import { ProgressLine, progressText } from './cli-output.js';
import { EXIT_CODES_USAGE, OPS_OPTIONS, OPS_OPTIONS_USAGE, secondsOption, withOps } from './ops-options.js';
import { printTaskView, taskOutcomeError } from './result-command.js';
import { UsageError } from './usage-error.js';

export const CALL_USAGE = `Usage: celeriac call <task name> [args...] [options]

Sends the task by name (it need not be registered in this process: a Python task works too) and prints its id.
Each argument is read as JSON when it parses (2, 2.5, true, null, "[1,2]", '{"a":1}'), else as a string.

Options:
  --kwargs <JSON object>   Keyword arguments, e.g. --kwargs '{"retries": 3}'
  --countdown <s>          Run no sooner than this many seconds from now
  --eta <ISO 8601>         Run no sooner than this time, e.g. 2030-01-01T09:00:00Z
  --queue, -Q <queue>      Send to this Celery queue instead of the task's route or the default queue
  --wait, -w               Wait for the result and print it; shows the state (and PROGRESS meta) on stderr
  --timeout <s>            With --wait: give up after this many seconds (exit 1)
${OPS_OPTIONS_USAGE}

Examples:
  celeriac call tasks.add 2 3 --wait
  celeriac call tasks.report '{"month": "2030-01"}' --queue reports --countdown 60
  celeriac call tasks.resize --kwargs '{"width": 640}' --wait --timeout 30 --json

${EXIT_CODES_USAGE}
`;

/** An argument as JSON when it parses, else the string itself. */
export function parseCallArgument(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** What `celeriac call` was asked. */
export interface CallCommand {
  readonly request: CallRequest;
  readonly wait: boolean;
  readonly timeoutMs: number | undefined;
  readonly app: string | undefined;
  readonly json: boolean;
}

/** The options that take a value, by each spelling: their long name. */
const VALUE_OPTIONS: Readonly<Record<string, string>> = {
  '--kwargs': '--kwargs',
  '--countdown': '--countdown',
  '--eta': '--eta',
  '--queue': '--queue',
  '-Q': '--queue',
  '--timeout': '--timeout',
  '--app': '--app',
  '-A': '--app',
};

/**
 * Options first, then `--` and the positionals in their order, so that a negative number (`-1`, `-2.5`) is an
 * argument of the task rather than an unknown option.
 */
function negativeNumbersAsPositionals(argv: readonly string[]): string[] {
  const options: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith('-') || /^-\d/.test(token)) {
      positionals.push(token);
      continue;
    }
    const long = VALUE_OPTIONS[token];
    const next = argv[i + 1];
    if (long !== undefined && next !== undefined) {
      // `--countdown=-1` reaches the option's check instead of being taken for an option.
      options.push(`${long}=${next}`);
      i += 1;
    } else {
      options.push(token);
    }
  }
  return [...options, '--', ...positionals];
}

/** Parses `celeriac call ...` (without `call`). */
export function parseCallArgs(argv: readonly string[]): CallCommand {
  const { values, positionals } = parseArgs({
    args: negativeNumbersAsPositionals(argv),
    options: {
      ...OPS_OPTIONS,
      kwargs: { type: 'string' },
      countdown: { type: 'string' },
      eta: { type: 'string' },
      queue: { type: 'string', short: 'Q' },
      wait: { type: 'boolean', short: 'w' },
      timeout: { type: 'string' },
    },
    allowPositionals: true,
    allowNegative: false,
  });
  const [name, ...args] = positionals;
  if (!name) throw new UsageError(`Name the task to call, e.g. celeriac call tasks.add 2 3\n\n${CALL_USAGE}`);
  let kwargs: Record<string, unknown> = {};
  if (values.kwargs !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values.kwargs);
    } catch (error) {
      throw new UsageError(
        `Expected --kwargs to be a JSON object, got ${JSON.stringify(values.kwargs)}: ${(error as Error).message}`,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new UsageError(`Expected --kwargs to be a JSON object such as '{"a": 1}', got ${values.kwargs}`);
    }
    kwargs = parsed as Record<string, unknown>;
  }
  const countdown = secondsOption('countdown', values.countdown, { allowZero: true });
  let eta: Date | undefined;
  if (values.eta !== undefined) {
    eta = new Date(values.eta);
    if (!/^\d{4}-\d\d-\d\d/.test(values.eta) || Number.isNaN(eta.getTime())) {
      throw new UsageError(
        `Expected --eta to be an ISO 8601 time such as 2030-01-01T09:00:00Z, got ${JSON.stringify(values.eta)}`,
      );
    }
  }
  if (countdown !== undefined && eta !== undefined)
    throw new UsageError('Give --countdown or --eta, not both');
  const timeout = secondsOption('timeout', values.timeout);
  if (timeout !== undefined && !values.wait) throw new UsageError('--timeout applies to --wait: add --wait');
  return {
    request: {
      name,
      args: args.map(parseCallArgument),
      kwargs,
      ...(countdown === undefined ? {} : { countdown }),
      ...(eta === undefined ? {} : { eta }),
      ...(values.queue === undefined ? {} : { queue: values.queue }),
    },
    wait: values.wait === true,
    timeoutMs: timeout === undefined ? undefined : timeout * 1000,
    app: values.app,
    json: values.json === true,
  };
}

/** Runs the command. */
export async function callCommand(argv: string[]): Promise<void> {
  const command = parseCallArgs(argv);
  await withOps(command, async (ctx) => {
    const id = await callTask(ctx, command.request);
    if (!command.wait) {
      console.log(command.json ? JSON.stringify({ id, name: command.request.name }) : id);
      return;
    }
    const started = Date.now();
    const progress = new ProgressLine();
    progress.update(`${id} sent`);
    const view = await waitTask(ctx, id, {
      ...(command.timeoutMs === undefined ? {} : { timeoutMs: command.timeoutMs }),
      onUpdate: (v) => progress.update(progressText(id, v.state, v.result, Date.now() - started)),
    });
    progress.done();
    printTaskView(view, { json: command.json, traceback: true });
    if (view.timedOut) {
      throw new CallTimeoutError(
        `${id} is still ${view.state} after ${(command.timeoutMs ?? 0) / 1000} s: is a worker consuming its queue? ` +
          `Read it later with celeriac result ${id}`,
      );
    }
    const failed = taskOutcomeError(view);
    if (failed) throw failed;
  });
}

/** `--wait --timeout` passed before the task finished. */
export class CallTimeoutError extends CeleriacError {
  override readonly name = 'ResultTimeoutError';
}
