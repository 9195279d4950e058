/**
 * The routes record: which side runs each task name while an app moves from Python Celery to celeriac, written
 * by `celeriac route` and read by both sides' workers (celeriac's and Python's with `celeriac_celery`). One JSON
 * document in the route store:
 *
 * ```json
 * { "version": 1, "tasks": { "tasks.charge": { "side": "shadow", "pythonQueue": "https://sqs.../app-python" } } }
 * ```
 *
 * `side` is `python` (Python workers run it; celeriac hands it over), `celeriac` (the reverse) or `shadow` (Python
 * runs it, celeriac runs it too when the task is shadow-safe, and keeps its result apart for comparison).
 * `pythonQueue` and `celeriacQueue` are queues only that side's workers read: a message received by the wrong side
 * is re-sent there unchanged. Without one, the message is left on the queue it came from for the other side's
 * workers, at most `handoverLimit` receives (docs/migrating-from-celery.md, "Handover").
 */
import { InvalidOptionError } from '../errors.js';

/** Who runs a task name. */
export const Side = {
  PYTHON: 'python',
  CELERIAC: 'celeriac',
  SHADOW: 'shadow',
} as const;
export type Side = (typeof Side)[keyof typeof Side];

/** Whether a value is a {@link Side}. */
export function isSide(value: unknown): value is Side {
  return value === Side.PYTHON || value === Side.CELERIAC || value === Side.SHADOW;
}

/** What the record says about one task name. */
export interface Route {
  readonly side: Side;
  /** A queue only Python workers read, for messages handed over to them. */
  readonly pythonQueue?: string;
  /** A queue only celeriac workers read, for messages handed over to them and for shadow copies. */
  readonly celeriacQueue?: string;
}

/** The record. */
export interface RoutesRecord {
  readonly version: 1;
  readonly tasks: Readonly<Record<string, Route>>;
}

export const EMPTY_ROUTES: RoutesRecord = { version: 1, tasks: {} };

const QUEUE_FIELDS = ['pythonQueue', 'celeriacQueue'] as const;

/**
 * Checks one task name's route, naming the field that is wrong. A bare side (`"celeriac"`) is a route without
 * queues.
 *
 * @throws {InvalidOptionError} saying what is wrong and what is expected.
 */
export function validateRoute(option: string, route: unknown): Route {
  if (isSide(route)) return { side: route };
  if (typeof route !== 'object' || route === null || Array.isArray(route)) {
    throw InvalidOptionError.expected(
      option,
      "'python', 'celeriac', 'shadow' or { side, pythonQueue?, celeriacQueue? }",
      route,
    );
  }
  const shaped = route as Record<string, unknown>;
  if (!isSide(shaped.side)) {
    throw InvalidOptionError.expected(`${option}.side`, "'python', 'celeriac' or 'shadow'", shaped.side);
  }
  const out: { side: Side; pythonQueue?: string; celeriacQueue?: string } = { side: shaped.side };
  for (const field of QUEUE_FIELDS) {
    const value = shaped[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(value)) {
      throw InvalidOptionError.expected(`${option}.${field}`, 'an SQS queue URL (https://sqs...)', value);
    }
    out[field] = value;
  }
  return out;
}

/**
 * Reads the record's text.
 *
 * @throws {InvalidOptionError} saying what is wrong with it.
 */
export function parseRoutesRecord(text: string): RoutesRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidOptionError(`the routes record is not JSON: ${(error as Error).message}`, {
      option: 'routes',
      value: text.slice(0, 80),
    });
  }
  const shaped = value as { version?: unknown; tasks?: unknown } | null;
  if (typeof shaped !== 'object' || shaped === null || shaped.version !== 1) {
    throw InvalidOptionError.expected('routes', 'an object with "version": 1', value);
  }
  if (typeof shaped.tasks !== 'object' || shaped.tasks === null || Array.isArray(shaped.tasks)) {
    throw InvalidOptionError.expected('routes.tasks', 'an object of task name to route', shaped.tasks);
  }
  const tasks: Record<string, Route> = {};
  for (const [name, route] of Object.entries(shaped.tasks))
    tasks[name] = validateRoute(`routes.${name}`, route);
  return { version: 1, tasks };
}

/** The record with one task name's route replaced (or removed, with `undefined`). */
export function withRoute(record: RoutesRecord, task: string, route: Route | undefined): RoutesRecord {
  const tasks = { ...record.tasks };
  if (route === undefined) delete tasks[task];
  else tasks[task] = validateRoute(`routes.${task}`, route);
  return { version: 1, tasks };
}
