/** The Workers, Periodic tasks, Cost and overview API. */
import { DashboardRequestError } from './api-errors.js';
import { costReport } from './cost-report.js';
import { periodicViews } from './periodic-view.js';
import type { Route } from './route.js';

/** The routes. */
export const INFO_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    pattern: /^\/api\/overview$/,
    handle: async ({ ctx }) => ({
      app: ctx.app.config.name ?? null,
      taskIndex: ctx.taskIndex !== undefined,
      workerRegistry: ctx.ops.control !== undefined,
      events: ctx.events !== undefined,
      resultTable: ctx.app.config.resultTable,
      tasks: ctx.app.registry.taskNames,
    }),
  },
  {
    method: 'GET',
    pattern: /^\/api\/workers$/,
    handle: async ({ ctx }) =>
      ctx.ops.control
        ? { registry: true, nowMs: ctx.app.runtime.clock.now(), workers: await ctx.ops.control.workers() }
        : {
            registry: false,
            workers: [],
            message:
              'The worker registry is off for this app: turn on events.workerRegistry (or the task index, CELERIAC_TASK_INDEX=true)',
          },
  },
  {
    method: 'GET',
    pattern: /^\/api\/periodic$/,
    handle: async ({ ctx }) => ({ entries: await periodicViews(ctx.app) }),
  },
  {
    method: 'GET',
    pattern: /^\/api\/cost$/,
    handle: async ({ ctx, query }) => {
      if (!ctx.taskIndex) {
        throw new DashboardRequestError(
          409,
          'task-index-off',
          'The Cost page counts tasks through the task index, which is off for this app: turn on events.taskIndex (CELERIAC_TASK_INDEX=true)',
        );
      }
      const hours = Number(query.get('hours') ?? 24);
      if (!Number.isFinite(hours) || hours <= 0) {
        throw new DashboardRequestError(
          400,
          'bad-request',
          `hours must be a number > 0, got ${query.get('hours')}`,
        );
      }
      const untilMs = ctx.app.runtime.clock.now();
      return await costReport(ctx.taskIndex, ctx.app.registry.taskNames, {
        sinceMs: untilMs - hours * 3_600_000,
        untilMs,
      });
    },
  },
];
