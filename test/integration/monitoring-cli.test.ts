/**
 * `celeriac inspect`, `celeriac control` and `celeriac events` as real processes against a real `celeriac worker`
 * process on the emulator, configured only through the environment the constructs set.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, DynamoDbFlowStore, parseLimitsRecord } from '../../src/index.js';
import { uniqueName } from '../emulator/unique-name.js';
import { type CliProcess, startCli } from '../helpers/cli-process.js';
import { createIndexedResultTable } from '../helpers/indexed-result-table.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const table = uniqueName('cli-monitoring');
const bus = uniqueName('cli-bus');
let env: Record<string, string>;
let worker: CliProcess;
let hostname: string;
const extra = uniqueName('extra');

/** Runs a CLI command to its end; its exit code and output. */
async function run(args: string[]): Promise<{ code: number | null; output: string }> {
  const cli = startCli(args, env);
  const { code } = await cli.exited;
  return { code, output: cli.output() };
}

const json = (output: string): Record<string, unknown> =>
  JSON.parse(output.trim().split('\n').at(-1) ?? '{}');

/** `control --json`'s output: a list of one-host objects, as Celery prints it. */
const jsonList = (output: string): unknown[] => JSON.parse(output.trim().split('\n').at(-1) ?? '[]');

beforeAll(async () => {
  await createIndexedResultTable(new DynamoDBClient({ endpoint }), table);
  await new EventBridgeClient({ endpoint }).send(new CreateEventBusCommand({ Name: bus }));
  const { queueUrl } = await createQueueWithDeadLetter(sqs, uniqueName('cli-mon'));
  await createQueueWithDeadLetter(sqs, extra);
  env = {
    CELERIAC_QUEUE_URLS: JSON.stringify({ celery: queueUrl }),
    CELERIAC_RESULT_TABLE: table,
    CELERIAC_TASK_INDEX: 'true',
    CELERIAC_EVENTS: 'eventbridge',
    CELERIAC_EVENT_BUS: bus,
    CELERIAC_HEARTBEAT_SECONDS: '0.5',
  };
  worker = startCli(['worker', '--app', 'test/fixtures/worker-app.ts', '--wait-time', '1'], env);
  hostname = (await worker.waitFor(/worker \S+ consuming celery/)).split(' ')[1] ?? '';
}, 120_000);

afterAll(() => {
  worker.child.kill('SIGKILL');
});

describe('the monitoring commands', () => {
  it('inspect ping, registered, stats and active answer for the live worker, as JSON keyed by hostname', async () => {
    const ping = await run(['inspect', 'ping', '--json', '--timeout', '10']);
    expect(ping.code).toBe(0);
    expect(json(ping.output)).toEqual({ [hostname]: { ok: 'pong' } });

    const registered = json((await run(['inspect', 'registered', '--json'])).output);
    expect(registered[hostname]).toEqual(expect.arrayContaining(['tasks.add', 'tasks.sleep']));

    const stats = json((await run(['inspect', 'stats', '--json'])).output);
    expect(stats[hostname]).toMatchObject({
      kind: 'worker',
      pool: { implementation: 'inline', 'max-concurrency': 8 },
      queues: ['celery'],
      sw_ident: 'celeriac',
    });

    const client = createApp({ env: { ...env, AWS_ENDPOINT_URL: endpoint ?? '' } });
    const slow = await client.sendTask('tasks.sleep', [4000]);
    let active: Record<string, unknown> = {};
    for (let i = 0; i < 10; i++) {
      active = json((await run(['inspect', 'active', '--json'])).output);
      if ((active[hostname] as unknown[] | undefined)?.length) break;
    }
    // Celery's fields of a running task (`Request.info(safe=True)`): the arguments as their repr.
    expect(active[hostname]).toEqual([
      {
        id: slow.id,
        name: 'tasks.sleep',
        args: '(4000,)',
        kwargs: '{}',
        type: 'tasks.sleep',
        hostname,
        time_start: expect.any(Number),
        acknowledged: false,
        delivery_info: { exchange: '', routing_key: 'celery', priority: null, redelivered: false },
        worker_pid: expect.any(Number),
      },
    ]);
    await slow.get({ timeoutMs: 10_000 });

    // `total` counts tasks by name, as Celery's `stats` does; the finished sleep shows at the next heartbeat.
    let total: Record<string, number> = {};
    for (let i = 0; i < 20 && !total['tasks.sleep']; i++) {
      total = (json((await run(['inspect', 'stats', '--json'])).output)[hostname] as { total: typeof total })
        .total;
    }
    expect(total).toEqual({ 'tasks.sleep': 1 });
  });

  it('prints text replies the way Celery does, and fails with no nodes replied for an unknown destination', async () => {
    const text = await run(['inspect', 'ping', '--timeout', '10']);
    expect(text.output).toContain(`-> ${hostname}: OK\n    pong\n\n1 node replied.`);
    const nobody = await run(['inspect', 'ping', '-d', 'celeriac@nowhere', '--timeout', '1']);
    expect(nobody.code).toBe(1);
    expect(nobody.output).toMatch(/^NoRepliesError: No nodes replied within time constraint/m);
    expect(nobody.output).not.toMatch(/^\s+at /m);
  });

  it('control add-consumer, rate-limit (the limits record), revoke and inspect revoked', async () => {
    const added = jsonList(
      (await run(['control', 'add-consumer', extra, '--json', '--timeout', '10'])).output,
    );
    expect(added).toEqual([{ [hostname]: { ok: `add consumer ${extra}` } }]);
    const rate = await run([
      'control',
      'rate-limit',
      'tasks.add',
      '10/m',
      '--key-concurrency',
      '3',
      '--json',
    ]);
    expect(jsonList(rate.output)).toEqual([
      { limits: { ok: 'tasks.add: {"rateLimit":"10/m","keyConcurrency":3}; workers apply it within 10 s' } },
    ]);
    const store = new DynamoDbFlowStore(new DynamoDBClient({ endpoint }), { tableName: table });
    expect(parseLimitsRecord((await store.readLimits()) ?? '').tasks).toEqual({
      'tasks.add': { rateLimit: '10/m', keyConcurrency: 3 },
    });
    const reset = await run(['control', 'rate-limit', 'tasks.add', 'default', '--json']);
    expect(jsonList(reset.output)).toEqual([
      { limits: { ok: 'tasks.add: the limits in code; workers apply it within 10 s' } },
    ]);
    expect(parseLimitsRecord((await store.readLimits()) ?? '').tasks).toEqual({});
    const bad = await run(['control', 'rate-limit', 'tasks.add', '10/x']);
    expect(bad.code).toBe(2);
    expect(bad.output).toMatch(/limits\.tasks\.add\.rateLimit.*'<n>\/s'/);

    const client = createApp({ env: { ...env, AWS_ENDPOINT_URL: endpoint ?? '' } });
    const later = await client.sendTask('tasks.add', [1, 1], {}, { countdown: 60 });
    const revoke = await run(['control', 'revoke', later.id, '--json']);
    expect(jsonList(revoke.output)).toEqual([{ results: { ok: `tasks flagged as revoked: ${later.id}` } }]);
    expect(await later.state()).toBe('REVOKED');
    const revoked = json((await run(['inspect', 'revoked', '--json'])).output);
    expect(revoked['task index']).toContain(later.id);
  });

  it('events prints the task events of a task as celery events --dump does, filtered by name', async () => {
    const tail = startCli(['events', '--duration', '8', '--name', 'tasks.add'], env);
    await tail.waitFor(/starting capture/);
    const client = createApp({ env: { ...env, AWS_ENDPOINT_URL: endpoint ?? '' } });
    const result = await client.sendTask('tasks.add', [20, 22]);
    await client.sendTask('tasks.echo', ['not shown']);
    expect(await result.get({ timeoutMs: 10_000 })).toBe(42);
    await tail.exited;
    const lines = tail.output().split('\n');
    const forTask = lines.filter((line) => line.includes(result.id));
    expect(forTask.map((line) => /\] (task \w+):/.exec(line)?.[1])).toEqual([
      'task received',
      'task started',
      'task succeeded',
    ]);
    expect(forTask[0]).toMatch(
      new RegExp(
        `^${hostname.replace(/[.]/g, '\\.')} \\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d{6})?\\+00:00\\] task received: tasks\\.add\\(${result.id}\\) args=\\(20, 22\\) kwargs=\\{\\} `,
      ),
    );
    expect(forTask[2]).toMatch(/result=42/);
    expect(tail.output()).not.toContain('not shown');
  });

  it('control shutdown stops the worker process', async () => {
    const down = jsonList((await run(['control', 'shutdown', '--json', '--timeout', '10'])).output);
    expect(down).toEqual([{ [hostname]: { ok: 'shutting down' } }]);
    const { code } = await worker.exited;
    expect(code).toBe(0);
    expect(worker.output()).toMatch(/stopped/);
  });
});
