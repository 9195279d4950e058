/**
 * The Cost page's report: each task name's tasks of the window, counted from the task index, priced by the cost
 * model of `celeriac cost` on its three hosts; and `/api/cost`'s query parameters, refused with a 400 when bad.
 */

import { mkdtemp, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { estimateCost, MIX_DEFAULTS } from '../../../src/cost/cost-model.js';
import { costReport } from '../../../src/dashboard/cost-report.js';
import { createDashboardContext, type DashboardContext } from '../../../src/dashboard/dashboard-context.js';
import { type DashboardServer, startDashboardServer } from '../../../src/dashboard/server.js';
import type { TaskIndex, TaskIndexEntry, TaskIndexQuery } from '../../../src/ports/task-index.js';
import { createTestApp } from '../../../src/testing/create-test-app.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;

/** A task index over a list of entries, answering queries by name and window as the DynamoDB one does. */
class ListTaskIndex implements TaskIndex {
  constructor(private readonly entries: readonly TaskIndexEntry[]) {}

  async query(query: TaskIndexQuery): Promise<TaskIndexEntry[]> {
    return this.entries
      .filter(
        (e) =>
          (query.name === undefined || e.name === query.name) &&
          (query.state === undefined || e.state === query.state) &&
          e.updatedAtMs >= (query.sinceMs ?? 0) &&
          e.updatedAtMs <= (query.untilMs ?? Number.POSITIVE_INFINITY),
      )
      .sort((a, b) => b.updatedAtMs - a.updatedAtMs)
      .slice(0, query.limit ?? 100);
  }
}

const entries = (name: string, count: number, state: string, atMs: number): TaskIndexEntry[] =>
  Array.from({ length: count }, (_, i) => ({
    taskId: `${name}-${state}-${i}`,
    name,
    state,
    updatedAtMs: atMs,
  }));

const INDEX = new ListTaskIndex([
  ...entries('tasks.add', 40, 'SUCCESS', NOW - HOUR),
  ...entries('tasks.add', 2, 'FAILURE', NOW - HOUR),
  ...entries('tasks.resize', 7, 'SUCCESS', NOW - 2 * HOUR),
  // Outside the window.
  ...entries('tasks.add', 100, 'SUCCESS', NOW - 48 * HOUR),
]);
const WINDOW = { sinceMs: NOW - 24 * HOUR, untilMs: NOW };

const hostTotals = (estimate: ReturnType<typeof estimateCost>) =>
  Object.fromEntries(estimate.hosts.map((h) => [h.host, h.dollars.total]));

describe('costReport', () => {
  it('counts each name in the window and prices it with estimateCost on every host', async () => {
    const report = await costReport(
      INDEX,
      [{ name: 'tasks.add' }, { name: 'tasks.resize', guarantee: 'at-least-once' }, { name: 'tasks.idle' }],
      WINDOW,
    );
    expect(report.lines.map((l) => [l.name, l.tasks, l.byState])).toEqual([
      ['tasks.add', 42, { SUCCESS: 40, FAILURE: 2 }],
      ['tasks.resize', 7, { SUCCESS: 7 }],
      ['tasks.idle', 0, {}],
    ]);
    const [add, resize, idle] = report.lines;
    expect(add?.dollars).toEqual(hostTotals(estimateCost([{ name: 'tasks.add', tasks: 42 }])));
    expect(resize?.dollars).toEqual(
      hostTotals(estimateCost([{ name: 'tasks.resize', tasks: 7, guarantee: 'at-least-once' }])),
    );
    expect(Object.values(idle?.dollars ?? {})).toEqual([0, 0, 0]);
    expect(Object.keys(add?.dollars ?? {})).toEqual(estimateCost([]).hosts.map((h) => h.host));
  });

  it('totals each host, with dollars per million tasks, as estimateCost prices the whole mix', async () => {
    const report = await costReport(
      INDEX,
      [{ name: 'tasks.add' }, { name: 'tasks.resize', guarantee: 'at-least-once' }],
      WINDOW,
    );
    const estimate = estimateCost([
      { name: 'tasks.add', tasks: 42 },
      { name: 'tasks.resize', tasks: 7, guarantee: 'at-least-once' },
    ]);
    expect(report.tasks).toBe(49);
    expect(report.hosts).toEqual(estimate.hosts);
    for (const host of report.hosts) {
      const sum = report.lines.reduce((total, line) => total + line.dollars[host.host], 0);
      expect(host.dollars.total).toBeCloseTo(sum, 12);
      expect(host.perMillionTasks).toBeCloseTo((sum / 49) * 1_000_000, 9);
    }
    expect(report.prices).toEqual(estimate.prices);
    expect(report.assumptions).toEqual(estimate.assumptions);
    expect(report.perTask).toEqual({
      durationMs: MIX_DEFAULTS.durationMs,
      resultKiB: MIX_DEFAULTS.resultKiB,
    });
  });

  it('passes the assumptions and the run time to the model', async () => {
    const options = { assumptions: { batchedSends: true }, durationMs: 250 };
    const report = await costReport(INDEX, [{ name: 'tasks.add' }], WINDOW, options);
    const estimate = estimateCost([{ name: 'tasks.add', tasks: 42, durationMs: 250 }], {
      batchedSends: true,
    });
    expect(report.lines[0]?.dollars).toEqual(hostTotals(estimate));
    expect(report.hosts).toEqual(estimate.hosts);
    expect(report.assumptions.batchedSends).toBe(true);
    expect(report.perTask.durationMs).toBe(250);
    const unbatched = await costReport(INDEX, [{ name: 'tasks.add' }], WINDOW, { durationMs: 250 });
    expect(report.lines[0]?.dollars['celeriac on Lambda']).toBeLessThan(
      unbatched.lines[0]?.dollars['celeriac on Lambda'] ?? 0,
    );
  });
});

describe('GET /api/cost', () => {
  let server: DashboardServer | undefined;
  let ctx: DashboardContext | undefined;

  afterEach(async () => {
    await server?.close();
    ctx?.close();
    server = undefined;
  });

  async function start(): Promise<number> {
    const app = createTestApp();
    app.task('tasks.add', (a: number, b: number) => a + b);
    app.task('tasks.resize', () => null, { guarantee: 'at-least-once' });
    const now = app.runtime.clock.now();
    const base = createDashboardContext(app);
    ctx = {
      ...base,
      taskIndex: new ListTaskIndex([
        ...entries('tasks.add', 42, 'SUCCESS', now - HOUR),
        ...entries('tasks.resize', 7, 'SUCCESS', now - HOUR),
      ]),
    };
    const assetsDir = await mkdtemp(path.join(tmpdir(), 'dash-assets-'));
    await writeFile(path.join(assetsDir, 'app.js'), '');
    await writeFile(path.join(assetsDir, 'app.css'), '');
    server = await startDashboardServer(ctx, { port: 0, assetsDir });
    return server.port;
  }

  const get = (port: number, pathname: string): Promise<{ status: number; body: unknown }> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: pathname, headers: { host: `127.0.0.1:${port}` } },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  it('prices the registered tasks with their guarantees, batched=1 and durationMs as the model does', async () => {
    const port = await start();
    const response = await get(port, '/api/cost?hours=24&batched=1&durationMs=150');
    expect(response.status).toBe(200);
    const mix = [
      { name: 'tasks.add', tasks: 42, durationMs: 150 },
      { name: 'tasks.resize', tasks: 7, durationMs: 150, guarantee: 'at-least-once' as const },
    ];
    expect(response.body).toMatchObject({
      hosts: estimateCost(mix, { batchedSends: true }).hosts,
      assumptions: { batchedSends: true },
      perTask: { durationMs: 150 },
    });
    const plain = await get(port, '/api/cost?hours=24');
    expect(plain.body).toMatchObject({
      hosts: estimateCost(mix.map(({ durationMs: _, ...entry }) => entry)).hosts,
      assumptions: { batchedSends: false },
    });
  });

  it('prices the results table on provisioned capacity with billing=provisioned and utilization', async () => {
    const port = await start();
    const response = await get(port, '/api/cost?hours=24&billing=provisioned&utilization=0.5');
    expect(response.status).toBe(200);
    const mix = [
      { name: 'tasks.add', tasks: 42 },
      { name: 'tasks.resize', tasks: 7, guarantee: 'at-least-once' as const },
    ];
    const provisioned = { dynamodbBilling: 'provisioned', provisionedUtilization: 0.5 } as const;
    expect(response.body).toMatchObject({
      hosts: estimateCost(mix, provisioned).hosts,
      assumptions: provisioned,
    });
    const onDemand = await get(port, '/api/cost?hours=24&billing=on-demand');
    expect(onDemand.body).toMatchObject({
      hosts: estimateCost(mix).hosts,
      assumptions: { dynamodbBilling: 'on-demand' },
    });
  });

  it.each([
    ['billing=reserved', /billing must be on-demand or provisioned, got "reserved"/],
    ['utilization=0.5', /utilization prices provisioned capacity: give it with billing=provisioned/],
    ['billing=provisioned&utilization=0', /utilization must be .* in \(0, 1\], got "0"/],
    ['billing=provisioned&utilization=1.5', /utilization must be .* in \(0, 1\], got "1.5"/],
    ['billing=provisioned&utilization=', /utilization must be .* in \(0, 1\], got ""/],
    ['batched=yes', /batched must be 1 .* or 0, got "yes"/],
    ['batched=', /batched must be 1 .* or 0, got ""/],
    ['durationMs=abc', /durationMs must be .* >= 0, got "abc"/],
    ['durationMs=-5', /durationMs must be .* >= 0, got "-5"/],
    ['durationMs=', /durationMs must be .* >= 0, got ""/],
    ['durationMs=Infinity', /durationMs must be .* >= 0, got "Infinity"/],
  ])('answers %s with a 400 that says what was wrong', async (parameter, message) => {
    const port = await start();
    const response = await get(port, `/api/cost?hours=24&${parameter}`);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: { kind: 'bad-request', message: expect.stringMatching(message) },
    });
  });
});
