/**
 * `celeriac shadow report`: the task ids whose shadow result (celeriac's run in shadow mode) differs from the real
 * one (Python's), with both values (docs/migrating-from-celery.md).
 */
import { parseArgs } from 'node:util';
import { canonicalJson, type ShadowComparison } from '../migration/compare-shadow.js';
import { shadowReport } from '../migration/shadow-report.js';
import { appOption, OPS_OPTIONS } from './ops-options.js';
import { routeStoreOf } from './route-command.js';
import { UsageError } from './usage-error.js';

export const SHADOW_USAGE = `Usage: celeriac shadow report [--task <name>] [options]

Compares every shadow result (what celeriac returned for a task it ran in shadow mode) with the task's real result
(what Python Celery stored), and lists the task ids whose values differ, with both values. Shadow results live a
week; listing them scans the results table.

Options:
  --task <name>        Only this task name
  --app, -A <module>   Module exporting the app (default: an app from the CELERIAC_* environment)
  --json               Print {"differs": [{taskId, taskName, python, celeriac}], "same": n, "pending": n}

Examples:
  celeriac shadow report
  celeriac shadow report --task tasks.charge --json
`;

function side(value: { state: string; value: unknown } | undefined): string {
  return value === undefined ? '-' : `${value.state} ${canonicalJson(value.value)}`;
}

function line(c: ShadowComparison): string {
  return `${c.taskId}  ${c.taskName}  python: ${side(c.python)}  celeriac: ${side(c.celeriac)}`;
}

/** Runs `celeriac shadow`. */
export async function shadowCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...OPS_OPTIONS,
      task: { type: 'string' },
    },
  });
  if (positionals[0] !== 'report' || positionals.length > 1) {
    throw new UsageError(
      `Expected \`celeriac shadow report\`, got ${JSON.stringify(positionals.join(' '))}\n\n${SHADOW_USAGE}`,
    );
  }
  const app = await appOption(values);
  const report = await shadowReport(
    { routes: routeStoreOf(app), results: app.runtime.results },
    values.task === undefined ? {} : { taskName: values.task },
  );
  if (values.json) {
    console.log(JSON.stringify(report));
    return;
  }
  for (const comparison of report.differs) console.log(line(comparison));
  const total = report.differs.length + report.same + report.pending;
  console.log(
    `${report.differs.length} differ, ${report.same} same, ${report.pending} waiting for the real result ` +
      `(of ${total} shadow result${total === 1 ? '' : 's'})`,
  );
}
