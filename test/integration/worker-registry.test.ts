/**
 * The worker registry and remote control on the emulator: two live `celeriac worker`s and a Lambda handler record
 * themselves in the results table; commands reach them as control records and their replies come back; a worker
 * whose heartbeats stop reaching the table drops out as offline.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import { DynamoDbMonitoringStore } from '../../src/aws/dynamodb-monitoring-store.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { createAwsTransport } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { ControlClient } from '../../src/monitoring/control-client.js';
import { systemClock } from '../../src/ports/clock.js';
import type { MonitoringStore } from '../../src/ports/monitoring-store.js';
import { runWorker } from '../../src/worker/run-worker.js';
import { uniqueName } from '../emulator/unique-name.js';
import { pollOnce } from '../helpers/event-source-mapping.js';
import { createIndexedResultTable } from '../helpers/indexed-result-table.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const ddb = new DynamoDBClient({ endpoint });
const table = uniqueName('registry-results');
const quiet = () => undefined;
const HEARTBEAT_SECONDS = 0.5;

beforeAll(async () => {
  await createIndexedResultTable(ddb, table);
});

/** An app named `name` (its workers are `<name>@<host>`) on a queue of its own, with the registry on. */
async function registryApp(
  name: string,
  wrap: (store: MonitoringStore) => MonitoringStore = (store) => store,
) {
  const { queueUrl } = await createQueueWithDeadLetter(sqs, uniqueName(name));
  const settings = resolveConfig({
    name,
    queueUrls: { celery: queueUrl },
    resultTable: table,
    env: { AWS_ENDPOINT_URL: endpoint },
    events: { taskIndex: true, heartbeatSeconds: HEARTBEAT_SECONDS },
  });
  const transport = createAwsTransport(settings);
  if (!transport.monitoring) throw new Error('the registry is not on');
  const app = new App(settings, { ...transport, monitoring: wrap(transport.monitoring) });
  app.task(`${name}.add`, (a: number, b: number) => a + b);
  return { app, queueUrl };
}

describe('the worker registry on the emulator', () => {
  it('lists two workers and a Lambda environment, answers ping from each, shuts one down, and drops a dead one', async () => {
    const control = new ControlClient(new DynamoDbMonitoringStore(ddb, { tableName: table }), systemClock, {
      pollMs: 100,
    });
    let cut = false;
    const alpha = await registryApp('alpha');
    const beta = await registryApp(
      'beta',
      (store) =>
        ({
          ...Object.fromEntries(
            (['listWorkers', 'putControl', 'listControls', 'putReply', 'listReplies'] as const).map(
              (method) => [method, store[method].bind(store)],
            ),
          ),
          // A partition between beta and the table: its heartbeats stop arriving.
          putWorker: (record, ttl) =>
            cut ? Promise.reject(new Error('connect ETIMEDOUT')) : store.putWorker(record, ttl),
        }) as MonitoringStore,
    );
    const lambda = await registryApp('gamma');
    const workerA = runWorker(alpha.app, { waitTimeSeconds: 1, log: quiet });
    const workerB = runWorker(beta.app, { waitTimeSeconds: 1, log: quiet });
    const handler = createSqsHandler(lambda.app, { log: quiet });
    const invoke = async () => {
      await lambda.app.sendTask('gamma.add', [1, 2]);
      while ((await pollOnce(sqs, lambda.queueUrl, handler, { waitTimeSeconds: 1 })).records.length === 0);
    };
    await invoke();

    const host = workerA.identity.hostname.split('@')[1];
    const names = [`alpha@${host}`, `beta@${host}`, `gamma@${host}`];
    const mine = async () =>
      (await control.onlineWorkers()).filter((worker) => names.includes(worker.hostname));
    for (let i = 0; i < 50 && (await mine()).length < 3; i++) await sleep(100);
    const online = await mine();
    expect(online.map((worker) => [worker.hostname, worker.kind]).sort()).toEqual([
      [`alpha@${host}`, 'worker'],
      [`beta@${host}`, 'worker'],
      [`gamma@${host}`, 'lambda'],
    ]);
    expect(online.find((worker) => worker.kind === 'lambda')).toMatchObject({
      registered: ['gamma.add'],
      processed: { SUCCESS: 1 },
      totals: { 'gamma.add': 1 },
      active: [],
    });

    // The Lambda environment reads control records at the end of a batch once a heartbeat is due.
    const pinging = control.broadcast('ping', {}, { timeoutMs: 10_000, destination: names });
    await sleep(HEARTBEAT_SECONDS * 1000 + 200);
    await invoke();
    const pongs = await pinging;
    expect(pongs.map((reply) => [reply.hostname, reply.ok]).sort()).toEqual(
      names.map((name) => [name, 'pong']),
    );

    const lambdaShutdown = control.broadcast(
      'shutdown',
      {},
      { timeoutMs: 10_000, destination: [`gamma@${host}`] },
    );
    await sleep(HEARTBEAT_SECONDS * 1000 + 200);
    await invoke();
    expect((await lambdaShutdown)[0]?.error).toMatch(/reserved concurrency to 0/);

    const [down] = await control.broadcast(
      'shutdown',
      {},
      { timeoutMs: 10_000, destination: [`alpha@${host}`] },
    );
    expect(down).toMatchObject({ hostname: `alpha@${host}`, ok: 'shutting down' });
    await workerA.stopped;
    const afterShutdown = (await control.workers()).find((worker) => worker.hostname === `alpha@${host}`);
    expect(afterShutdown).toMatchObject({ status: 'offline', online: false });

    cut = true;
    const gone = async () =>
      (await control.workers()).find((worker) => worker.hostname === `beta@${host}`)?.online === false;
    const deadline = Date.now() + 15_000;
    while (!(await gone()) && Date.now() < deadline) await sleep(250);
    expect(await gone()).toBe(true);
    expect((await control.workers()).find((worker) => worker.hostname === `beta@${host}`)?.status).toBe(
      'online',
    );
    await workerB.stop();
  });

  it('leaves out worker records and replies written without their fields, which inspect would crash on', async () => {
    const own = new DynamoDbMonitoringStore(ddb, { tableName: table });
    const now = Date.now();
    const good = {
      workerId: uniqueName('good'),
      hostname: 'good@host',
      pid: 1,
      kind: 'worker',
      pool: 'inline',
      concurrency: 1,
      queues: ['celery'],
      active: [],
      processed: { SUCCESS: 2 },
      registered: ['tasks.add'],
      version: '0.1.0',
      startedAtMs: now,
      heartbeatAtMs: now,
      freqSeconds: 2,
      status: 'online',
    } as const;
    const { active: _active, registered: _registered, ...listless } = good;
    await own.putWorker(good, 60);
    await own.putWorker({ ...listless, workerId: uniqueName('listless') } as never, 60);
    await own.putWorker({ ...good, workerId: uniqueName('far'), heartbeatAtMs: 9e15 }, 60);
    const workers = (await own.listWorkers(now - 1000)).filter((w) => w.hostname === 'good@host');
    expect(workers.map((w) => w.workerId)).toEqual([good.workerId]);

    const commandId = uniqueName('cmd');
    const reply = { commandId, hostname: 'good@host', atMs: now };
    await own.putReply({ ...reply, workerId: 'w-ok', ok: 'pong' }, 60);
    await own.putReply({ ...reply, workerId: 'w-error', error: 'no such command' }, 60);
    await own.putReply({ ...reply, workerId: 'w-empty' }, 60);
    await own.putReply({ ...reply, workerId: 'w-odd', error: 42 } as never, 60);
    const replies = await own.listReplies(commandId, now - 1000);
    expect(replies.map((r) => r.workerId).sort()).toEqual(['w-error', 'w-ok']);
  });
});
