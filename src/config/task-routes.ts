/**
 * Routing: which queue a send goes to when the call names none. Two settings, both resolved once with the app's
 * settings and consulted on every send (`send-request.ts`):
 *
 * - `taskRoutes`, Celery's `task_routes` as a mapping: a task name, or a glob where `*` matches one or more
 *   characters (Celery's `glob_to_re`: `'tasks.*'` matches `tasks.add`), to a queue name or `{ queue, priority }`.
 *   Exact names are looked up first, then the globs in the order they were written; like Celery's `re.match`, a
 *   glob is anchored at the start of the name only.
 * - `priorityQueues`, what SQS lacks: it has no per-message priority, so a priority picks a queue instead. Each
 *   band sends messages whose priority is at least `minPriority` (Celery's and RabbitMQ's meaning: a higher number
 *   is more urgent) to its queue; the band with the highest `minPriority` a message reaches wins.
 *
 * How they combine, as in Celery's router: the call's `queue` wins, then the task's registered `queue`, then the
 * route's `queue`, then the priority band, then the app's default queue. A route's `priority` is the message's
 * priority when the call gives none; the message always carries its priority in its properties, so a Python
 * consumer sees it unchanged.
 */
import { ImproperlyConfigured } from '../errors.js';

/** Where a route sends a task: a queue, and the priority its messages get when the call sets none. */
export interface TaskRoute {
  /** Celery queue name. */
  readonly queue?: string;
  /** Message priority, 0 (default) to 255; higher is more urgent. */
  readonly priority?: number;
}

/**
 * Celery's `task_routes` as a mapping: task name or glob (`'tasks.*'`) to a queue name or a {@link TaskRoute}.
 *
 * @example
 * { 'tasks.report': 'reports', 'tasks.urgent.*': { priority: 9 }, 'tasks.*': { queue: 'default' } }
 */
export type TaskRoutes = Readonly<Record<string, string | TaskRoute>>;

/** One priority band: messages whose priority is at least `minPriority` go to `queue`. */
export interface PriorityQueue {
  /** Celery queue name, e.g. `high`. */
  readonly queue: string;
  /** The lowest priority that goes to this queue, 1 to 255 (Celery's usual range is 0-9). */
  readonly minPriority: number;
}

/** Routing settings, validated and indexed. */
export interface TaskRouting {
  /** Exact task names. */
  readonly names: ReadonlyMap<string, TaskRoute>;
  /** Globs, in the order they were written. */
  readonly globs: readonly { readonly glob: string; readonly pattern: RegExp; readonly route: TaskRoute }[];
  /** Priority bands, the highest `minPriority` first. */
  readonly priorityQueues: readonly PriorityQueue[];
}

/** The highest priority a message may carry (AMQP's, which Celery passes on). */
export const MAX_PRIORITY = 255;

/** Routing with no routes and no priority bands: every send goes to its task's queue or the default queue. */
export const NO_ROUTING: TaskRouting = { names: new Map(), globs: [], priorityQueues: [] };

const ROUTE_FORM = "a queue name or { queue?: string, priority?: number }, e.g. { 'tasks.*': 'default' }";
const BAND_FORM = "[{ queue: 'high', minPriority: 6 }, ...]";

const isPriority = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_PRIORITY;

/** Celery's `glob_to_re`: `*` is `.+?`, everything else literal, matched from the start of the name. */
function globPattern(glob: string): RegExp {
  const source = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.+?');
  return new RegExp(`^${source}`);
}

function toRoute(key: string, value: unknown): TaskRoute {
  const fail = (problem: string): never => {
    throw new ImproperlyConfigured(
      `\`taskRoutes[${JSON.stringify(key)}]\` ${problem}; expected ${ROUTE_FORM}`,
      { setting: 'taskRoutes' },
    );
  };
  if (typeof value === 'string') {
    if (value.length === 0) fail('is an empty queue name');
    return { queue: value };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(`is ${JSON.stringify(value)}`);
  }
  const { queue, priority, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) fail(`has unknown key(s) ${unknown.map((k) => `\`${k}\``).join(', ')}`);
  if (queue === undefined && priority === undefined) fail('names neither `queue` nor `priority`');
  if (queue !== undefined && (typeof queue !== 'string' || queue.length === 0)) {
    fail(`has \`queue\` ${JSON.stringify(queue)}, which is not a queue name`);
  }
  if (priority !== undefined && !isPriority(priority, 0)) {
    fail(`has \`priority\` ${JSON.stringify(priority)}, not a whole number from 0 to ${MAX_PRIORITY}`);
  }
  return {
    ...(queue === undefined ? {} : { queue: queue as string }),
    ...(priority === undefined ? {} : { priority: priority as number }),
  };
}

function toBands(value: unknown): PriorityQueue[] {
  if (!Array.isArray(value)) {
    throw new ImproperlyConfigured(
      `Expected \`priorityQueues\` to be an array of bands ${BAND_FORM}, got ${JSON.stringify(value)}`,
      { setting: 'priorityQueues' },
    );
  }
  const seen = new Map<number, string>();
  const bands = value.map((band: unknown, i): PriorityQueue => {
    const { queue, minPriority } = (typeof band === 'object' && band !== null ? band : {}) as Record<
      string,
      unknown
    >;
    if (typeof queue !== 'string' || queue.length === 0 || !isPriority(minPriority, 1)) {
      throw new ImproperlyConfigured(
        `\`priorityQueues[${i}]\` is ${JSON.stringify(band)}; expected { queue: <queue name>, minPriority: ` +
          `<whole number from 1 to ${MAX_PRIORITY}> } as in ${BAND_FORM} (priority 0, the default, goes to ` +
          'the default queue)',
        { setting: 'priorityQueues' },
      );
    }
    const other = seen.get(minPriority);
    if (other !== undefined) {
      throw new ImproperlyConfigured(
        `\`priorityQueues\` gives minPriority ${minPriority} to both ${JSON.stringify(other)} and ` +
          `${JSON.stringify(queue)}; give each band its own minPriority`,
        { setting: 'priorityQueues' },
      );
    }
    seen.set(minPriority, queue);
    return { queue, minPriority };
  });
  return bands.sort((a, b) => b.minPriority - a.minPriority);
}

/**
 * Validates and indexes `taskRoutes` and `priorityQueues`.
 *
 * @throws {ImproperlyConfigured} naming the setting, the entry at fault and the accepted form.
 * @example
 * resolveTaskRouting({ 'tasks.report': 'reports' }, [{ queue: 'high', minPriority: 6 }]);
 */
export function resolveTaskRouting(
  taskRoutes: TaskRoutes | undefined,
  priorityQueues: readonly PriorityQueue[] | undefined,
): TaskRouting {
  if (taskRoutes === undefined && priorityQueues === undefined) return NO_ROUTING;
  if (taskRoutes !== undefined && (typeof taskRoutes !== 'object' || taskRoutes === null)) {
    throw new ImproperlyConfigured(
      `Expected \`taskRoutes\` to be an object of task name or glob to ${ROUTE_FORM}, got ${JSON.stringify(taskRoutes)}`,
      { setting: 'taskRoutes' },
    );
  }
  const names = new Map<string, TaskRoute>();
  const globs: { glob: string; pattern: RegExp; route: TaskRoute }[] = [];
  for (const [key, value] of Object.entries(taskRoutes ?? {})) {
    const route = toRoute(key, value);
    if (key.includes('*')) globs.push({ glob: key, pattern: globPattern(key), route });
    else names.set(key, route);
  }
  return { names, globs, priorityQueues: priorityQueues === undefined ? [] : toBands(priorityQueues) };
}

/** The route of task `name`: its exact entry, else the first glob that matches, else `undefined`. */
export function routeFor(routing: TaskRouting, name: string): TaskRoute | undefined {
  return routing.names.get(name) ?? routing.globs.find((entry) => entry.pattern.test(name))?.route;
}

/** The queue of the highest priority band `priority` reaches, or `undefined` below every band. */
export function priorityQueueFor(routing: TaskRouting, priority: number): string | undefined {
  return routing.priorityQueues.find((band) => priority >= band.minPriority)?.queue;
}
