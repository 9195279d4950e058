/** `celeriac result <id>`: a task's state and result, as `celery result`. */
import { parseArgs } from 'node:util';
import { CeleriacError } from '../errors.js';
import { readTask, type TaskView, waitTask } from '../ops/tasks.js';
import { formatValue, ProgressLine, progressText } from './cli-output.js';
import { EXIT_CODES_USAGE, OPS_OPTIONS, OPS_OPTIONS_USAGE, secondsOption, withOps } from './ops-options.js';
import { UsageError } from './usage-error.js';

export const RESULT_USAGE = `Usage: celeriac result <task id> [options]

Prints the task's state and its result (its return value, its progress meta, or its exception).
A task id with nothing stored shows PENDING, as Celery does, and says "no such task (or not started yet)".

Options:
  --wait, -w               Wait until the task is ready, showing its state on stderr
  --timeout <s>            With --wait: give up after this many seconds (exit 1)
  --traceback              Print the traceback of a failed task
${OPS_OPTIONS_USAGE}

Examples:
  celeriac result 3f2c8a4e-8a71-4f07-9a3e-1f1f0b0e6d8c
  celeriac result 3f2c8a4e-8a71-4f07-9a3e-1f1f0b0e6d8c --wait --timeout 60 --traceback
  celeriac result 3f2c8a4e-8a71-4f07-9a3e-1f1f0b0e6d8c --json

${EXIT_CODES_USAGE} A FAILURE, REVOKED or unknown task exits 1.
`;

/** A task that failed, was revoked, or is not known: exit 1, with what to do. */
export class TaskOutcomeError extends CeleriacError {
  override readonly name = 'TaskOutcomeError';
}

/** Text for a view with nothing stored. */
export const NO_SUCH_TASK = 'no such task (or not started yet)';

/** Prints a task view: JSON, or `STATE` then the result. */
export function printTaskView(
  view: TaskView,
  options: { readonly json: boolean; readonly traceback: boolean },
): void {
  if (options.json) {
    console.log(
      JSON.stringify({
        id: view.id,
        state: view.state,
        stored: view.stored,
        result: view.result ?? null,
        ...(options.traceback ? { traceback: view.traceback } : {}),
        date_done: view.dateDone,
      }),
    );
    return;
  }
  if (!view.stored) {
    console.log(`${view.state}: ${NO_SUCH_TASK}`);
    return;
  }
  console.log(view.state);
  if (view.result !== null && view.result !== undefined) console.log(formatValue(view.result));
  if (options.traceback && view.traceback) console.log(view.traceback.trimEnd());
}

/** The error to exit 1 with for a view that is not a success, if any. */
export function taskOutcomeError(view: TaskView): TaskOutcomeError | undefined {
  if (!view.stored) {
    return new TaskOutcomeError(`${view.id}: ${NO_SUCH_TASK}; check the id, or wait with --wait`);
  }
  if (view.state === 'FAILURE') {
    return new TaskOutcomeError(
      `${view.id} failed; see its traceback with celeriac result ${view.id} --traceback`,
    );
  }
  if (view.state === 'REVOKED') return new TaskOutcomeError(`${view.id} was revoked and will not run`);
  return undefined;
}

/** Runs the command. */
export async function resultCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...OPS_OPTIONS,
      wait: { type: 'boolean', short: 'w' },
      timeout: { type: 'string' },
      traceback: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  const [id, ...extra] = positionals;
  if (!id || extra.length > 0) throw new UsageError(`Give one task id\n\n${RESULT_USAGE}`);
  const timeout = secondsOption('timeout', values.timeout);
  if (timeout !== undefined && !values.wait) throw new UsageError('--timeout applies to --wait: add --wait');
  await withOps(values, async (ctx) => {
    let view: TaskView;
    if (values.wait) {
      const started = Date.now();
      const progress = new ProgressLine();
      const waited = await waitTask(ctx, id, {
        ...(timeout === undefined ? {} : { timeoutMs: timeout * 1000 }),
        onUpdate: (v) => {
          progress.update(progressText(id, v.state, v.result, Date.now() - started));
        },
      });
      progress.done();
      view = waited;
      if (waited.timedOut) {
        printTaskView(view, { json: values.json === true, traceback: values.traceback === true });
        throw new TaskOutcomeError(
          `${id} is still ${view.state} after ${timeout} s; run the command again later`,
        );
      }
    } else {
      view = await readTask(ctx, id);
    }
    printTaskView(view, { json: values.json === true, traceback: values.traceback === true });
    const failed = taskOutcomeError(view);
    if (failed) throw failed;
  });
}
