/** The Workers, Periodic tasks, Cost and overview API. */
import { DYNAMODB_BILLINGS, isDynamodbBilling } from '../cost/cost-model.js';
import { DashboardRequestError } from './api-errors.js';
import { type CostReportOptions, costReport } from './cost-report.js';
import { periodicViews } from './periodic-view.js';
import type { Route } from './route.js';

/**
 * The cost model's settings a request may change: `batched=1` (producers send in batches), `durationMs=<n>` (a
 * task's average run time), `billing=on-demand|provisioned` (the results table's DynamoDB billing) and, with
 * provisioned billing, `utilization=<share>` (the share of the capacity the load uses, in (0, 1]); anything else
 * is the model's default, as in `celeriac cost`.
 */
function costOptions(query: URLSearchParams): CostReportOptions {
  const batched = query.get('batched');
  if (batched !== null && batched !== '0' && batched !== '1') {
    throw new DashboardRequestError(
      400,
      'bad-request',
      `batched must be 1 (producers send in batches) or 0, got ${JSON.stringify(batched)}`,
    );
  }
  const durationText = query.get('durationMs');
  const durationMs = Number(durationText);
  if (
    durationText !== null &&
    (durationText.trim() === '' || !Number.isFinite(durationMs) || durationMs < 0)
  ) {
    throw new DashboardRequestError(
      400,
      'bad-request',
      `durationMs must be a task's average run time in milliseconds, a number >= 0, got ${JSON.stringify(durationText)}`,
    );
  }
  const billing = query.get('billing');
  if (billing !== null && !isDynamodbBilling(billing)) {
    throw new DashboardRequestError(
      400,
      'bad-request',
      `billing must be ${DYNAMODB_BILLINGS.join(' or ')}, got ${JSON.stringify(billing)}`,
    );
  }
  const utilizationText = query.get('utilization');
  const utilization = Number(utilizationText);
  if (utilizationText !== null) {
    if (billing !== 'provisioned') {
      throw new DashboardRequestError(
        400,
        'bad-request',
        'utilization prices provisioned capacity: give it with billing=provisioned',
      );
    }
    if (utilizationText.trim() === '' || !(utilization > 0 && utilization <= 1)) {
      throw new DashboardRequestError(
        400,
        'bad-request',
        `utilization must be the share of the provisioned capacity the load uses, in (0, 1], got ${JSON.stringify(utilizationText)}`,
      );
    }
  }
  return {
    assumptions: {
      batchedSends: batched === '1',
      ...(billing === null ? {} : { dynamodbBilling: billing }),
      ...(utilizationText === null ? {} : { provisionedUtilization: utilization }),
    },
    ...(durationText === null ? {} : { durationMs }),
  };
}

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
      const options = costOptions(query);
      const untilMs = ctx.app.runtime.clock.now();
      const { registry } = ctx.app;
      return await costReport(
        ctx.taskIndex,
        registry.taskNames.map((name) => ({ name, guarantee: registry.get(name)?.options.guarantee })),
        { sinceMs: untilMs - hours * 3_600_000, untilMs },
        options,
      );
    },
  },
];
