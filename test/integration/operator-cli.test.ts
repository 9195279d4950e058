/**
 * The operator commands (`call`, `result`, `purge`, `dlq`, `status`, `--version`) as real processes on the
 * emulator, configured only through the environment the constructs set, with a real `celeriac worker` process
 * consuming the default queue. moto answers `StartMessageMoveTask` with an HTTP 500 page (not implemented) and
 * sets no `DeadLetterQueueSourceArn`, so every redrive here is the receive → send → delete path, routed through
 * `ListDeadLetterSourceQueues`. test/integration/interrupted-redrive.test.ts interrupts one.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/index.js';
import { uniqueName } from '../emulator/unique-name.js';
import { type CliProcess, startCli } from '../helpers/cli-process.js';
import { createIndexedResultTable } from '../helpers/indexed-result-table.js';
import { deadLetterAll, depth, depths, until } from '../helpers/operator-queues.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';

const endpoint = process.env.AWS_ENDPOINT_URL ?? '';
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const table = uniqueName('ops-results');
const queues: Record<string, { queueUrl: string; deadLetterUrl: string }> = {};
let env: Record<string, string>;
let worker: CliProcess;
let hostname: string;
const packageVersion = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

/** Runs a CLI command to its end: its exit code, and its stdout and stderr together. */
async function run(args: string[], extraEnv: Record<string, string> = {}) {
  const cli = startCli(args, { ...env, ...extraEnv });
  const { code } = await cli.exited;
  return { code, output: cli.output(), stdout: cli.stdout() };
}

/**
 * Runs a CLI command with a pseudo-terminal as its stdin and stdout (Python's `pty.spawn`), typing `input` into
 * it: what an operator at a shell sees.
 */
async function runOnTerminal(args: string[], input: string) {
  const child = spawn(
    'python3',
    [
      '-c',
      'import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))',
      process.execPath,
      '--import',
      'tsx',
      'src/cli/main.ts',
      ...args,
    ],
    { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stdin.write(input);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}

const lastJson = (output: string): Record<string, unknown> =>
  JSON.parse(
    output
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .at(-1) ?? '{}',
  );

const client = () => createApp({ env: { ...env, AWS_ENDPOINT_URL: endpoint } });

beforeAll(async () => {
  await createIndexedResultTable(new DynamoDBClient({ endpoint }), table);
  for (const name of ['celery', 'parked', 'purgeme', 'replay', 'confirmme']) {
    queues[name] = await createQueueWithDeadLetter(sqs, uniqueName(`ops-${name}`), {
      maxReceiveCount: name === 'celery' ? 3 : 1,
    });
  }
  env = {
    CELERIAC_QUEUE_URLS: JSON.stringify(
      Object.fromEntries(Object.entries(queues).map(([k, v]) => [k, v.queueUrl])),
    ),
    CELERIAC_RESULT_TABLE: table,
    CELERIAC_TASK_INDEX: 'true',
    CELERIAC_HEARTBEAT_SECONDS: '0.5',
  };
  worker = startCli(['worker', '--app', 'test/fixtures/operator-app.ts', '--wait-time', '1'], env);
  hostname = (await worker.waitFor(/worker \S+ consuming celery/)).split(' ')[1] ?? '';
}, 120_000);

afterAll(() => {
  worker?.child.kill('SIGKILL');
  sqs.destroy();
});

describe('celeriac --version and --help', () => {
  it('prints the version of package.json for --version and -V', async () => {
    for (const flag of ['--version', '-V']) {
      const { code, output } = await run([flag]);
      expect(code, output).toBe(0);
      expect(output.trim()).toBe(`celeriac ${packageVersion}`);
    }
    expect(JSON.parse((await run(['--version', '--json'])).output)).toEqual({ version: packageVersion });
  });

  it('gives every operator command a help with examples and the exit codes', async () => {
    for (const command of ['call', 'result', 'purge', 'dlq', 'status']) {
      const { code, output } = await run([command, '--help']);
      expect(code, output).toBe(0);
      expect(output).toMatch(new RegExp(`^Usage: celeriac ${command}`));
      expect(output).toContain('Examples:');
      expect(output).toContain('Exit codes: 0 ok; 1 failed');
      expect(output).toContain('--json');
    }
  });
});

describe('every command', () => {
  it('prints --help with its usage and examples', async () => {
    const commands = [
      ...['worker', 'beat', 'init', 'local', 'call', 'result', 'purge', 'dlq', 'status', 'cost'],
      ...['events', 'inspect', 'control', 'dashboard', 'route', 'shadow'],
    ];
    for (const command of commands) {
      const { code, output } = await run([command, '--help']);
      expect(code, output).toBe(0);
      expect(output).toMatch(new RegExp(`^Usage: celeriac ${command}`));
      expect(output, command).toMatch(new RegExp(`Examples:\\n  celeriac ${command}`));
    }
  });
});

describe('celeriac call and result', () => {
  it('call --wait shows the progress the task reports, line by line off a terminal, then the result', async () => {
    const { code, output } = await run(['call', 'ops.progress', '3', '--wait', '--timeout', '30']);
    expect(code, output).toBe(0);
    const lines = output.trim().split('\n');
    expect(lines.at(-2)).toBe('SUCCESS');
    expect(lines.at(-1)).toBe('3');
    const id = /^(\S+) sent$/.exec(lines[0] ?? '')?.[1] ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(output).toMatch(new RegExp(`^${id} PROGRESS \\{"done":1,"total":3\\} \\(\\d+\\.\\d s\\)$`, 'm'));
    expect(output).toMatch(new RegExp(`^${id} PROGRESS \\{"done":3,"total":3\\}`, 'm'));
    expect(output).not.toContain('\r');

    const result = await run(['result', id, '--json']);
    expect(result.code).toBe(0);
    expect(lastJson(result.output)).toMatchObject({ id, state: 'SUCCESS', stored: true, result: 3 });
  });

  it('parses each argument as JSON when it can, sends kwargs, and prints JSON with --json', async () => {
    const { code, output } = await run([
      'call',
      'ops.echo',
      '-1',
      'word',
      '{"a":[1,2]}',
      '--kwargs',
      '{"k":true}',
      '--wait',
      '--json',
    ]);
    expect(code, output).toBe(0);
    expect(lastJson(output)).toMatchObject({ state: 'SUCCESS', result: [-1, 'word', { a: [1, 2] }] });
  });

  it('with --json, prints one JSON object on stdout and its progress on stderr, for call --wait and result --wait', async () => {
    const called = await run(['call', 'ops.echo', '7', '--wait', '--json']);
    expect(called.code, called.output).toBe(0);
    const view = JSON.parse(called.stdout) as { id: string; state: string; result: unknown };
    expect(view).toMatchObject({ state: 'SUCCESS', result: [7] });
    expect(called.output).toContain(`${view.id} sent`);
    const waited = await run(['result', view.id, '--wait', '--json']);
    expect(waited.code, waited.output).toBe(0);
    expect(JSON.parse(waited.stdout)).toMatchObject({ id: view.id, state: 'SUCCESS', result: [7] });
    expect(waited.output).toMatch(new RegExp(`^${view.id} SUCCESS \\(\\d+\\.\\d s\\)$`, 'm'));
  });

  it('a failed task exits 1, prints its FAILURE once, and result --traceback shows the traceback', async () => {
    const { code, output } = await run(['call', 'ops.boom', '--wait', '--timeout', '30']);
    expect(code, output).toBe(1);
    const id = /^(\S+) sent$/m.exec(output)?.[1] ?? '';
    expect(output).toContain('FAILURE');
    expect(output.match(/failed; see its traceback/g)).toHaveLength(1);
    const result = await run(['result', id, '--traceback']);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/^FAILURE\n.*"exc_type":"TypeError"/m);
    expect(result.output).toMatch(/TypeError: boom/);
  });

  it('result of an unknown id shows PENDING and says no such task, exit 1', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const { code, output } = await run(['result', unknown]);
    expect(code, output).toBe(1);
    expect(output).toContain('PENDING: no such task (or not started yet)');
    const json = await run(['result', unknown, '--json']);
    expect(lastJson(json.output)).toMatchObject({ id: unknown, state: 'PENDING', stored: false });
  });

  it('call without --wait prints the id, and --countdown sends it delayed', async () => {
    const { code, output } = await run([
      'call',
      'ops.add',
      '1',
      '2',
      '--queue',
      'purgeme',
      '--countdown',
      '60',
    ]);
    expect(code, output).toBe(0);
    expect(output.trim()).toMatch(/^[0-9a-f-]{36}$/);
    const status = lastJson((await run(['status', '-Q', 'purgeme', '--json'])).output);
    expect((status.queues as { delayed: number }[])[0]?.delayed).toBe(1);
  });
});

describe('celeriac purge', () => {
  it('refuses without a terminal, and with --force purges and says how many', async () => {
    const app = client();
    for (let i = 0; i < 3; i++) await app.sendTask('ops.add', [i, i], {}, { queue: 'purgeme' });
    const refused = await run(['purge', '-Q', 'purgeme']);
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(
      /Refusing to delete every message of purgeme without a terminal .*add --force/,
    );
    expect(await depth(sqs, queues.purgeme?.queueUrl ?? '')).toBeGreaterThanOrEqual(3);

    const before = await depth(sqs, queues.purgeme?.queueUrl ?? '');
    const purged = await run(['purge', '-Q', 'purgeme', '--force']);
    expect(purged.code).toBe(0);
    expect(purged.output.trim()).toBe(`Purged ${before} messages from purgeme.`);
    await until(async () => (await depth(sqs, queues.purgeme?.queueUrl ?? '')) === 0, 'the purge');

    // SQS (and moto) refuse a second purge within 60 s: said once, with what to do.
    const again = await run(['purge', '-Q', 'purgeme', '--force']);
    expect(again.code).toBe(1);
    expect(
      again.output.match(/PurgeInProgressError: .* wait a minute and run the purge again/g),
    ).toHaveLength(1);
  });

  it("on a terminal, asks for the queue's name: a wrong answer purges nothing, the right one purges", async () => {
    const app = client();
    for (let i = 0; i < 2; i++) await app.sendTask('ops.add', [i, i], {}, { queue: 'confirmme' });
    const url = queues.confirmme?.queueUrl ?? '';
    const wrong = await runOnTerminal(['purge', '-Q', 'confirmme'], 'confirm-me\n');
    expect(wrong.code).toBe(2);
    expect(wrong.output).toContain('This will delete every message of confirmme. Type "confirmme" to go on:');
    expect(wrong.output).toMatch(/Not confirmed \(expected "confirmme"\): nothing was done/);
    expect(await depth(sqs, url)).toBe(2);

    const right = await runOnTerminal(['purge', '-Q', 'confirmme'], 'confirmme\n');
    expect(right.code).toBe(0);
    expect(right.output).toMatch(/Purged 2 messages from confirmme\./);
    await until(async () => (await depth(sqs, url)) === 0, 'the confirmed purge');
  });

  it('names a queue that does not exist, once, and purges nothing when one of several is missing', async () => {
    await client().sendTask('ops.add', [1, 1], {}, { queue: 'purgeme' });
    const { code, output } = await run(['purge', '-Q', 'purgeme,no-such-queue-xyz', '--force']);
    expect(code, output).toBe(1);
    expect(output.match(/No queue "no-such-queue-xyz" exists in this account and region/g)).toHaveLength(1);
    expect(await depth(sqs, queues.purgeme?.queueUrl ?? '')).toBe(1);
    const status = await run(['status', '-Q', 'no-such-queue-xyz']);
    expect(status.code).toBe(1);
    expect(status.output).toMatch(/QueueNotFoundError: No queue "no-such-queue-xyz"/);
  });
});

describe('celeriac dlq', () => {
  let failedId: string;
  let rawMessageId: string;

  beforeAll(async () => {
    const app = client();
    // A task that failed for real (FAILURE stored by the worker), whose message then was dead-lettered.
    failedId = (await app.sendTask('ops.boom', [7], { why: 'x' })).id;
    await app.asyncResult(failedId).get({ timeoutMs: 20_000, propagate: false });
    await app.sendTask('ops.boom', [7], { why: 'x' }, { queue: 'parked', taskId: failedId });
    await app.sendTask('ops.add', [2, 2], {}, { queue: 'parked' });
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queues.parked?.queueUrl, MessageBody: 'not a celery message' }),
    );
    await deadLetterAll(sqs, queues.parked, 3);
    const { output } = await run(['dlq', 'show', 'parked', '--json']);
    const raw = (lastJson(output).messages as { messageId: string; raw?: string }[]).find((m) => m.raw);
    rawMessageId = raw?.messageId ?? '';
  });

  it('list shows the dead-letter queues of the app with their depth', async () => {
    const { code, output } = await run(['dlq', 'list', '--json']);
    expect(code, output).toBe(0);
    const dlqs = lastJson(output).deadLetterQueues as { url: string; visible: number; sources: string[] }[];
    const parked = dlqs.find((d) => d.url === queues.parked?.deadLetterUrl);
    expect(parked).toMatchObject({ visible: 3, sources: ['parked'], maxReceiveCount: 1 });
    expect(dlqs.map((d) => d.url)).toEqual(expect.arrayContaining([queues.celery?.deadLetterUrl]));
    const text = await run(['dlq', 'list']);
    expect(text.output).toMatch(/-dlq {2}3 visible, 0 in flight {2}\(for parked, after 1 receives\)/);
  });

  it('show decodes each message, with the stored FAILURE, and a foreign one raw with its decode error', async () => {
    const { code, output } = await run(['dlq', 'show', 'parked', '--json']);
    expect(code, output).toBe(0);
    const { messages } = lastJson(output) as { messages: Record<string, unknown>[] };
    expect(messages).toHaveLength(3);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          task: expect.objectContaining({ id: failedId, name: 'ops.boom', args: [7], kwargs: { why: 'x' } }),
          stored: expect.objectContaining({
            state: 'FAILURE',
            result: expect.objectContaining({ exc_type: 'TypeError' }),
          }),
          receiveCount: expect.any(Number),
        }),
        expect.objectContaining({ task: expect.objectContaining({ name: 'ops.add', args: [2, 2] }) }),
        expect.objectContaining({ raw: 'not a celery message', decodeError: expect.stringMatching(/\S/) }),
      ]),
    );
    const text = await run(['dlq', 'show', 'parked']);
    expect(text.output).toMatch(/ {2}not a Celery task message: .+\n {2}raw {6}not a celery message/);
    expect(text.output).toContain(`  task     ops.boom[${failedId}]`);
    expect(text.output).toMatch(/ {2}stored {3}FAILURE \{"exc_type":"TypeError"/);

    const two = messages.slice(0, 2).map((m) => String(m.messageId));
    const chosen = await run(['dlq', 'show', 'parked', '--id', two[0] ?? '', '--id', two[1] ?? '', '--json']);
    const shownIds = (lastJson(chosen.output).messages as { messageId: string }[]).map((m) => m.messageId);
    expect(shownIds.sort()).toEqual([...two].sort());
  });

  it('redrive --id moves that message only; delete --id deletes one; delete --all needs --force', async () => {
    const parked = queues.parked ?? { queueUrl: '', deadLetterUrl: '' };
    const one = await run(['dlq', 'redrive', 'parked', '--id', rawMessageId]);
    expect(one.code).toBe(0);
    expect(one.output).toContain(`Moved 1 messages from ${parked.deadLetterUrl}:\n  1 to ${parked.queueUrl}`);
    const [back] =
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl: parked.queueUrl, WaitTimeSeconds: 1 })))
        .Messages ?? [];
    expect(back?.Body).toBe('not a celery message');
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: parked.queueUrl,
        Entries: [{ Id: '0', ReceiptHandle: back?.ReceiptHandle ?? '' }],
      }),
    );
    expect(await depth(sqs, parked.deadLetterUrl)).toBe(2);

    const missing = await run(['dlq', 'redrive', 'parked', '--id', 'no-such-message']);
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/Moved 0 of the 1 messages asked for/);

    const shown = lastJson((await run(['dlq', 'show', 'parked', '--json'])).output) as {
      messages: { messageId: string; task?: { name: string } }[];
    };
    const add = shown.messages.find((m) => m.task?.name === 'ops.add');
    const deleted = await run(['dlq', 'delete', 'parked', '--id', add?.messageId ?? '', '--force', '--json']);
    expect(lastJson(deleted.output)).toMatchObject({ deleted: [add?.messageId], notFound: [] });
    expect(await depth(sqs, parked.deadLetterUrl)).toBe(1);

    const refused = await run(['dlq', 'delete', 'parked', '--all']);
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(/without a terminal to confirm on: add --force/);
    const all = await run(['dlq', 'delete', 'parked', '--all', '--force']);
    expect(all.output.trim()).toBe(`Deleted 1 message from ${parked.deadLetterUrl}.`);
    expect(await depth(sqs, parked.deadLetterUrl)).toBe(0);
  });

  it("refuses to treat one of the app's queues without a redrive policy as a dead-letter queue", async () => {
    const { QueueUrl: bare = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: uniqueName('ops-bare') }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: bare, MessageBody: 'a live task' }));
    const withBare = {
      CELERIAC_QUEUE_URLS: JSON.stringify({
        ...Object.fromEntries(Object.entries(queues).map(([k, v]) => [k, v.queueUrl])),
        bare,
      }),
    };
    for (const args of [
      ['dlq', 'delete', 'bare', '--all', '--force'],
      ['dlq', 'show', 'bare'],
      ['dlq', 'delete', bare, '--all', '--force'],
    ]) {
      const refused = await run(args, withBare);
      expect(refused.code, refused.output).not.toBe(0);
      expect(refused.output).toContain(
        `(${bare}) is one of the app's queues and has no redrive policy, so it has no dead-letter queue`,
      );
    }
    // Nothing was received or deleted: the message is still there, and visible.
    expect(await depths(sqs, bare)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
  });

  it('redrive of all moves every dead letter back, and the worker runs it', async () => {
    const app = client();
    const sent = await app.sendTask('ops.add', [20, 22], {}, { queue: 'replay' });
    await deadLetterAll(sqs, queues.replay, 1);
    const { code, output } = await run(['dlq', 'redrive', 'replay', '--json']);
    expect(code, output).toBe(0);
    expect(lastJson(output)).toMatchObject({ method: 'copy', moved: 1, failed: 0, unroutable: 0 });
    expect(await depth(sqs, queues.replay?.deadLetterUrl ?? '')).toBe(0);
    expect(await depth(sqs, queues.replay?.queueUrl ?? '')).toBe(1);
    const replayWorker = startCli(
      ['worker', '--app', 'test/fixtures/operator-app.ts', '-Q', 'replay', '--wait-time', '1'],
      env,
    );
    try {
      expect(await app.asyncResult(sent.id).get({ timeoutMs: 30_000 })).toBe(42);
    } finally {
      replayWorker.child.kill('SIGKILL');
      await replayWorker.exited;
    }
  });
});

describe('celeriac status', () => {
  it("reads the oldest message's age and the sent and deleted rates from CloudWatch's SQS metrics", async () => {
    const sqsName = queues.parked?.queueUrl.split('/').pop() ?? '';
    const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000 - 30_000);
    const datum = (name: string, value: number, at: Date, unit: 'Seconds' | 'Count') => ({
      MetricName: name,
      Dimensions: [{ Name: 'QueueName', Value: sqsName }],
      Timestamp: at,
      Value: value,
      Unit: unit,
    });
    await new CloudWatchClient({ endpoint }).send(
      new PutMetricDataCommand({
        Namespace: 'AWS/SQS',
        MetricData: [
          datum('ApproximateAgeOfOldestMessage', 420, minutesAgo(0), 'Seconds'),
          // 60 + 40 sent in the last five minutes: 20 a minute; the datapoint 8 minutes ago is outside.
          datum('NumberOfMessagesSent', 60, minutesAgo(0), 'Count'),
          datum('NumberOfMessagesSent', 40, minutesAgo(2), 'Count'),
          datum('NumberOfMessagesSent', 1000, minutesAgo(8), 'Count'),
          datum('NumberOfMessagesDeleted', 37, minutesAgo(1), 'Count'),
        ],
      }),
    );
    const snapshot = lastJson((await run(['status', '-Q', 'parked', '--json'])).output) as {
      queues: { oldestAgeSeconds: number | null; metricsNote?: string }[];
    };
    expect(snapshot.queues[0]).toMatchObject({
      oldestAgeSeconds: 420,
      sentPerMinute: 20,
      deletedPerMinute: 7.4,
    });
    expect(snapshot.queues[0]?.metricsNote).toBeUndefined();
    expect((await run(['status', '-Q', 'parked'])).output).toMatch(
      /^parked +\d+ +\d+ +\d+ +420s +20 +7\.4 /m,
    );
  });

  it('shows every queue with its dead-letter depth, and the online worker from the registry', async () => {
    const { code, output } = await run(['status', '--json']);
    expect(code, output).toBe(0);
    const snapshot = lastJson(output) as {
      queues: { queue: string; url: string; deadLetter?: { url: string } }[];
      workers: { hostname: string; queues: string[] }[];
    };
    expect(snapshot.queues.map((q) => q.queue).sort()).toEqual([
      'celery',
      'confirmme',
      'parked',
      'purgeme',
      'replay',
    ]);
    expect(snapshot.queues.find((q) => q.queue === 'celery')?.deadLetter?.url).toBe(
      queues.celery?.deadLetterUrl,
    );
    expect(snapshot.workers).toEqual(
      expect.arrayContaining([expect.objectContaining({ hostname, queues: ['celery'] })]),
    );
    // The emulator publishes no SQS metrics: the age is unknown, and the JSON says why.
    expect(snapshot.queues.find((q) => q.queue === 'celery')).toMatchObject({
      oldestAgeSeconds: null,
      sentPerMinute: null,
      deletedPerMinute: null,
      metricsNote: expect.stringMatching(/no CloudWatch datapoint in the last 10 minutes for Approx/),
    });
    const text = await run(['status']);
    expect(text.output).toMatch(
      /^QUEUE +VISIBLE +IN FLIGHT +DELAYED +OLDEST +SENT\/MIN +DONE\/MIN +DEAD LETTERS$/m,
    );
    expect(text.output).toMatch(
      new RegExp(`^ {2}${hostname.replace(/[.]/g, '\\.')} \\(worker\\) queues celery;`, 'm'),
    );
  });
});
