/**
 * `celeriac inspect <method>`: Celery's `inspect`, answered from the worker registry. `ping` is a round trip
 * through a control record; `active`, `registered`, `stats` and `scheduled` read the workers' latest heartbeat
 * records (as fresh as one heartbeat); `revoked` lists the task index's REVOKED tasks of the last hour.
 */
import { parseArgs } from 'node:util';
import type { WorkerView } from '../monitoring/control-client.js';
import type { ActiveTask } from '../ports/monitoring-store.js';
import {
  fromReplies,
  MONITORING_OPTIONS,
  MONITORING_OPTIONS_USAGE,
  type MonitoringContext,
  monitoringContext,
  type NodeAnswers,
  printAnswers,
} from './monitoring-context.js';
import { UsageError } from './usage-error.js';

export const INSPECT_USAGE = `Usage: celeriac inspect <method> [options]

Asks the running workers (celeriac worker processes and warm Lambda environments) what they are doing.
Workers record themselves in the results table at every heartbeat; this needs the task index
(ResultStore({ taskIndex: true })) or events.workerRegistry.

Methods:
  ping         Each live worker answers through a control record (within one heartbeat)
  active       Tasks running now, from each worker's latest heartbeat
  registered   Task names each worker can run
  stats        Pool, concurrency, queues, processed counts, version, uptime
  scheduled    Tasks held for their ETA: always none (an ETA waits in SQS, never in a worker)
  revoked      Tasks revoked in the last hour, from the task index

Options:
${MONITORING_OPTIONS_USAGE}

Examples:
  celeriac inspect ping
  celeriac inspect active --app dist/app.js --json
  celeriac inspect stats -d celeriac@ip-10-0-0-12 --timeout 5
`;

const METHODS = ['ping', 'active', 'registered', 'stats', 'scheduled', 'revoked'] as const;
type Method = (typeof METHODS)[number];

function statsOf(worker: WorkerView, nowMs: number): Record<string, unknown> {
  return {
    pid: worker.pid,
    kind: worker.kind,
    pool: { implementation: worker.pool, 'max-concurrency': worker.concurrency },
    queues: worker.queues,
    total: worker.totals ?? {},
    sw_ident: 'celeriac',
    sw_ver: worker.version,
    uptime: Math.round((nowMs - worker.startedAtMs) / 1000),
    heartbeat: { freq: worker.freqSeconds, last: new Date(worker.heartbeatAtMs).toISOString() },
  };
}

/**
 * A running task as Celery's `inspect active` shows it (`Request.info(safe=True)`: the arguments as their repr).
 * `acknowledged` is false: an SQS message is deleted when its task ends, as with `acks_late`.
 */
function activeInfo(task: ActiveTask, worker: WorkerView): Record<string, unknown> {
  return {
    id: task.id,
    name: task.name,
    args: task.args ?? null,
    kwargs: task.kwargs ?? null,
    type: task.name,
    hostname: worker.hostname,
    time_start: task.startedAtMs / 1000,
    acknowledged: false,
    delivery_info: {
      exchange: '',
      routing_key: task.queue ?? null,
      priority: null,
      redelivered: task.redelivered ?? null,
    },
    worker_pid: worker.pid,
  };
}

async function answer(method: Method, ctx: MonitoringContext): Promise<NodeAnswers> {
  if (method === 'ping') {
    return fromReplies(
      await ctx.control.broadcast(
        'ping',
        {},
        {
          timeoutMs: ctx.timeoutMs,
          ...(ctx.destination ? { destination: ctx.destination } : {}),
        },
      ),
    );
  }
  if (method === 'revoked') {
    const revoked = await ctx.taskIndex.query({ state: 'REVOKED', limit: 1000 });
    return [{ node: 'task index', ok: revoked.map((entry) => entry.taskId) }];
  }
  const nowMs = Date.now();
  const workers = await ctx.control.onlineWorkers(ctx.destination);
  return workers.map((worker) => ({
    node: worker.hostname,
    ok:
      method === 'active'
        ? worker.active.map((task) => activeInfo(task, worker))
        : method === 'registered'
          ? worker.registered
          : method === 'scheduled'
            ? []
            : statsOf(worker, nowMs),
  }));
}

/** Runs the command; throws when no worker answered. */
export async function inspectCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: MONITORING_OPTIONS,
    allowPositionals: true,
  });
  const [method, ...extra] = positionals;
  if (!method || !(METHODS as readonly string[]).includes(method) || extra.length > 0) {
    throw new UsageError(
      `Expected one method, ${METHODS.join(', ')}; got ${JSON.stringify(positionals.join(' '))}\n\n${INSPECT_USAGE}`,
    );
  }
  const ctx = await monitoringContext(values);
  printAnswers(await answer(method as Method, ctx), ctx.json, `inspect ${method}`);
}
