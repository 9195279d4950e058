/**
 * The Cost page: what each task name's tasks of a window cost on each host. The tasks are counted from the task
 * index; each name is one entry of a task mix, with the guarantee its task was registered with, priced by
 * `estimateCost` (`src/cost/cost-model.ts`, the model of `celeriac cost`) for celeriac on Lambda, celeriac on a
 * container and Python Celery on a container, compute included. The report carries the list prices and the
 * assumptions the model used, so the page states them instead of repeating them.
 */
import {
  type CostAssumptions,
  type CostEstimate,
  estimateCost,
  type HostCost,
  MIX_DEFAULTS,
  type TaskMixEntry,
} from '../cost/cost-model.js';
import type { TaskIndex } from '../ports/task-index.js';
import type { Guarantee } from '../task-options.js';

/** A host the model prices. */
export type CostHost = HostCost['host'];

/** A task name to price, with the guarantee it was registered with (default: the model's). */
export interface CostedTask {
  readonly name: string;
  readonly guarantee?: Guarantee;
}

/** What to price the window with: the hosts' settings, and a task's run time. */
export interface CostReportOptions {
  /** The hosts' settings (`batchedSends`, ...); the model's defaults otherwise. */
  readonly assumptions?: CostAssumptions;
  /** Average run time of one task in milliseconds, for every name. Default: the model's. */
  readonly durationMs?: number;
}

/** One task name's line. */
export interface CostLine {
  readonly name: string;
  readonly guarantee: Guarantee;
  readonly tasks: number;
  readonly byState: Readonly<Record<string, number>>;
  /** Whether the count reached the index query's limit, so the line is a floor. */
  readonly capped: boolean;
  /** Dollars of this name's tasks on each host. */
  readonly dollars: Readonly<Record<CostHost, number>>;
}

/** The Cost page. */
export interface CostReport {
  readonly sinceMs: number;
  readonly untilMs: number;
  /** Tasks of every line. */
  readonly tasks: number;
  readonly lines: readonly CostLine[];
  /** The whole window on each host: requests, dollars by service and in total, dollars per million tasks. */
  readonly hosts: readonly HostCost[];
  /** The list prices used, in US dollars (us-east-1). */
  readonly prices: CostEstimate['prices'];
  /** The hosts' settings used. */
  readonly assumptions: CostEstimate['assumptions'];
  /** What each task was priced with besides its guarantee. */
  readonly perTask: { readonly durationMs: number; readonly resultKiB: number };
}

/** The most tasks counted per name (the index query's limit). */
export const MAX_TASKS_PER_NAME = 10_000;

const totals = (estimate: CostEstimate): Record<CostHost, number> =>
  // estimateCost prices every host, so each key of the record is set.
  Object.fromEntries(estimate.hosts.map((host) => [host.host, host.dollars.total])) as Record<
    CostHost,
    number
  >;

/**
 * Counts each task name's tasks in `[sinceMs, untilMs]` and prices them on each host.
 *
 * @example
 * const report = await costReport(index, [{ name: 'tasks.add' }], window, { assumptions: { batchedSends: true } });
 * report.lines[0]?.dollars['celeriac on Lambda'];
 */
export async function costReport(
  index: TaskIndex,
  tasks: readonly CostedTask[],
  window: { readonly sinceMs: number; readonly untilMs: number },
  options: CostReportOptions = {},
): Promise<CostReport> {
  const durationMs = options.durationMs ?? MIX_DEFAULTS.durationMs;
  const counted = await Promise.all(
    tasks.map(async (task) => {
      const entries = await index.query({ name: task.name, ...window, limit: MAX_TASKS_PER_NAME });
      const byState: Record<string, number> = {};
      for (const entry of entries) byState[entry.state] = (byState[entry.state] ?? 0) + 1;
      const mix: TaskMixEntry = {
        name: task.name,
        tasks: entries.length,
        guarantee: task.guarantee ?? MIX_DEFAULTS.guarantee,
        durationMs,
      };
      return { mix, byState };
    }),
  );
  const lines = counted.map(
    ({ mix, byState }): CostLine => ({
      name: mix.name,
      guarantee: mix.guarantee ?? MIX_DEFAULTS.guarantee,
      tasks: mix.tasks,
      byState,
      capped: mix.tasks >= MAX_TASKS_PER_NAME,
      dollars: totals(estimateCost([mix], options.assumptions)),
    }),
  );
  const estimate = estimateCost(
    counted.map((c) => c.mix),
    options.assumptions,
  );
  return {
    ...window,
    tasks: estimate.tasks,
    lines: lines.sort((a, b) => b.tasks - a.tasks || a.name.localeCompare(b.name)),
    hosts: estimate.hosts,
    prices: estimate.prices,
    assumptions: estimate.assumptions,
    perTask: { durationMs, resultKiB: MIX_DEFAULTS.resultKiB },
  };
}
