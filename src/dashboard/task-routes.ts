/**
 * The Tasks API: search (by id, or through the task index by name, state and time), one task's page (its stored
 * result, arguments, events and workflow graph), and the actions on it: revoke (optionally terminate) and retry
 * with the same arguments.
 */
import { callTask, readTask } from '../ops/tasks.js';
import type { TaskIndexEntry } from '../ports/task-index.js';
import { DashboardRequestError } from './api-errors.js';
import { type Route, type RouteRequest, SEGMENT } from './route.js';
import { workflowGraph } from './workflow-graph.js';

/** The states searched when neither a state nor a name is given. */
const ALL_STATES = ['PENDING', 'STARTED', 'PROGRESS', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED'];

function timeParam(query: URLSearchParams, key: string): number | undefined {
  const value = query.get(key);
  if (value === null || value === '') return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new DashboardRequestError(
      400,
      'bad-request',
      `${key}=${JSON.stringify(value)} is not a time: give an ISO 8601 time or epoch milliseconds`,
    );
  }
  return ms;
}

async function searchTasks({ ctx, query }: RouteRequest): Promise<unknown> {
  const id = query.get('id')?.trim();
  if (id) {
    const view = await readTask(ctx.ops, id);
    const entries = view.stored
      ? [
          {
            taskId: id,
            name: view.name ?? null,
            state: view.state,
            updatedAtMs: Date.parse(view.dateDone ?? ''),
          },
        ]
      : [];
    return { indexed: ctx.taskIndex !== undefined, entries };
  }
  if (!ctx.taskIndex) {
    return {
      indexed: false,
      entries: [],
      message:
        'The task index is off for this app: search by id, or turn it on (events.taskIndex, CELERIAC_TASK_INDEX=true, ResultStore({ taskIndex: true }))',
    };
  }
  const index = ctx.taskIndex;
  const name = query.get('name')?.trim() || undefined;
  const state = query.get('state')?.trim().toUpperCase() || undefined;
  const limit = Math.min(500, Number(query.get('limit') ?? 100) || 100);
  const window = {
    ...(timeParam(query, 'since') === undefined ? {} : { sinceMs: timeParam(query, 'since') }),
    ...(timeParam(query, 'until') === undefined ? {} : { untilMs: timeParam(query, 'until') }),
  } as { sinceMs?: number; untilMs?: number };
  let entries: TaskIndexEntry[];
  if (name || state) {
    entries = await index.query({ ...window, limit, ...(name ? { name } : {}), ...(state ? { state } : {}) });
  } else {
    const lists = await Promise.all(ALL_STATES.map((s) => index.query({ ...window, limit, state: s })));
    entries = lists
      .flat()
      .sort((a, b) => b.updatedAtMs - a.updatedAtMs)
      .slice(0, limit);
  }
  return { indexed: true, entries: entries.map((entry) => ({ ...entry, name: entry.name ?? null })) };
}

async function taskDetail({ ctx, params }: RouteRequest): Promise<unknown> {
  const id = params[0] ?? '';
  const results = ctx.app.runtime.results;
  const meta = await results.get(id);
  if (meta === undefined) return { found: false, id };
  const view = await readTask(ctx.ops, id);
  const graph = await workflowGraph(results, id);
  return {
    found: true,
    task: {
      ...view,
      args: meta.args ?? null,
      kwargs: meta.kwargs ?? null,
      worker: meta.worker ?? null,
      retries: meta.retries ?? null,
      queue: meta.queue ?? null,
      parentId: meta.parent_id ?? null,
      groupId: meta.group_id ?? null,
    },
    events: ctx.events ? ctx.events.forTask(id) : null,
    graph,
  };
}

async function revokeTask({ ctx, params, body }: RouteRequest): Promise<unknown> {
  const id = params[0] ?? '';
  const terminate = body.terminate === true;
  await ctx.app.revoke(id, { terminate });
  return { revoked: id, terminate, task: await readTask(ctx.ops, id) };
}

async function retryTask({ ctx, params }: RouteRequest): Promise<unknown> {
  const id = params[0] ?? '';
  const meta = await ctx.app.runtime.results.get(id);
  if (meta === undefined) throw new DashboardRequestError(404, 'no-such-task', `No task ${id} is stored`);
  if (meta.name === undefined || meta.args === undefined) {
    throw new DashboardRequestError(
      409,
      'arguments-unknown',
      `Task ${id} was stored without its name and arguments, so it cannot be sent again: turn on resultExtended ` +
        '(CELERIAC_RESULT_EXTENDED) for the workers, or send it again with celeriac call',
    );
  }
  const queue = typeof meta.queue === 'string' && meta.queue !== '' ? { queue: meta.queue } : {};
  const newId = await callTask(ctx.ops, {
    name: meta.name,
    args: meta.args,
    kwargs: meta.kwargs ?? {},
    ...queue,
  });
  return { retriedFrom: id, id: newId };
}

/** The task routes. */
export const TASK_ROUTES: readonly Route[] = [
  { method: 'GET', pattern: /^\/api\/tasks$/, handle: searchTasks },
  { method: 'GET', pattern: new RegExp(`^/api/tasks/${SEGMENT}$`), handle: taskDetail },
  { method: 'POST', pattern: new RegExp(`^/api/tasks/${SEGMENT}/revoke$`), handle: revokeTask },
  { method: 'POST', pattern: new RegExp(`^/api/tasks/${SEGMENT}/retry$`), handle: retryTask },
];
