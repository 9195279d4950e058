/**
 * `celeriac route`: which side runs a task name while an app moves from Python Celery to celeriac. It writes the
 * routes record in the results table, which celeriac's workers (with `migration` on) and Python's (with
 * `celeriac_celery.enable`) read within 10 s (docs/migrating-from-celery.md).
 */
import { parseArgs } from 'node:util';
import type { App } from '../app.js';
import { createAwsClients } from '../aws/clients.js';
import { DynamoDbRouteStore } from '../aws/dynamodb-route-store.js';
import {
  EMPTY_ROUTES,
  isSide,
  parseRoutesRecord,
  type Route,
  type RoutesRecord,
  withRoute,
} from '../migration/routes-record.js';
import type { RouteStore } from '../ports/route-store.js';
import { appOption, OPS_OPTIONS } from './ops-options.js';
import { UsageError } from './usage-error.js';

export const ROUTE_USAGE = `Usage: celeriac route [<task name> python|celeriac|shadow|default] [options]

Says which side runs a task name during a migration from Python Celery: writes the routes record in the results
table, which every worker reads within 10 s. A task received by the other side is handed over with the same id
and the same message: re-sent to the queue of the side it is routed to (--python-queue, --celeriac-queue), or
left on the shared queue for that side's workers. With no task name, prints the routes record.

Sides:
  python     Python Celery workers run it (celeriac workers hand it over)
  celeriac   celeriac workers run it (Python workers hand it over)
  shadow     Python runs it; celeriac runs it too when the task is shadow-safe (shadow: true) and keeps its
             result apart (celeriac shadow report)
  default    Remove the task name from the record: the routes in code apply

Options:
  --python-queue <url>     A queue only Python workers read, for messages handed over to Python
  --celeriac-queue <url>   A queue only celeriac workers read, for handed-over messages and shadow copies
  --app, -A <module>       Module exporting the app (default: an app from the CELERIAC_* environment)
  --json                   Print the record as JSON

A route keeps the queues it had when the command names none.

Examples:
  celeriac route tasks.charge shadow --python-queue https://sqs.../app-python --celeriac-queue https://sqs.../app-celeriac
  celeriac route tasks.charge celeriac
  celeriac route tasks.charge python
  celeriac route
`;

/** The route store of an app's results table. */
export function routeStoreOf(app: App): RouteStore {
  return (
    app.runtime.migration?.store ??
    new DynamoDbRouteStore(createAwsClients(app.config).dynamodb, { tableName: app.config.resultTable })
  );
}

/** Reads the routes record, an empty one when none was written. */
export async function readRoutes(store: RouteStore): Promise<RoutesRecord> {
  const text = await store.readRoutes();
  if (text === undefined) return EMPTY_ROUTES;
  try {
    return parseRoutesRecord(text);
  } catch (error) {
    process.stderr.write(`replacing a damaged routes record (${(error as Error).message})\n`);
    return EMPTY_ROUTES;
  }
}

function printRecord(record: RoutesRecord, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(record));
    return;
  }
  const names = Object.keys(record.tasks).sort();
  if (names.length === 0) console.log('No routes: every task name runs where it is received.');
  for (const name of names) {
    const route = record.tasks[name] as Route;
    const queues = [
      route.pythonQueue ? ` python-queue=${route.pythonQueue}` : '',
      route.celeriacQueue ? ` celeriac-queue=${route.celeriacQueue}` : '',
    ].join('');
    console.log(`${name}: ${route.side}${queues}`);
  }
}

/** Runs `celeriac route`. */
export async function routeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...OPS_OPTIONS,
      'python-queue': { type: 'string' },
      'celeriac-queue': { type: 'string' },
    },
  });
  const [task, side, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`Unexpected arguments ${extra.join(' ')}\n\n${ROUTE_USAGE}`);
  if (task !== undefined && side === undefined) {
    throw new UsageError(
      `route needs a side after the task name: python, celeriac, shadow or default\n\n${ROUTE_USAGE}`,
    );
  }
  if (side !== undefined && side !== 'default' && !isSide(side)) {
    throw new UsageError(
      `Expected the side to be python, celeriac, shadow or default, got ${JSON.stringify(side)}\n\n${ROUTE_USAGE}`,
    );
  }
  const app = await appOption(values);
  const store = routeStoreOf(app);
  let record = await readRoutes(store);
  if (task !== undefined && side !== undefined) {
    if (side === 'default') {
      record = withRoute(record, task, undefined);
    } else {
      const before = record.tasks[task];
      const pythonQueue = values['python-queue'] ?? before?.pythonQueue;
      const celeriacQueue = values['celeriac-queue'] ?? before?.celeriacQueue;
      record = withRoute(record, task, {
        side,
        ...(pythonQueue === undefined ? {} : { pythonQueue }),
        ...(celeriacQueue === undefined ? {} : { celeriacQueue }),
      });
    }
    await store.writeRoutes(JSON.stringify(record));
    if (!values.json) console.log(`${task}: ${side}; workers follow it within 10 s`);
  }
  printRecord(record, values.json === true);
}
