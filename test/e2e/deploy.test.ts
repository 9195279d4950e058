/**
 * End to end: deploys the demo stack (`infra/app.ts`) to a MiniStack of its own with the plain CDK CLI, sends
 * tasks with the client to the deployed queue, and reads the results the deployed Lambda worker wrote while
 * running inside the emulator, fed by the SQS event source mapping. The same code paths as `npm run local`
 * (`src/local/`, `scripts/local/`), on a free port so a developer's local stack on 4566 is left alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureDemoEnvironment, runDemo } from '../../scripts/local/demo.js';
import { type DemoStackOutputs, deployDemo } from '../../scripts/local/deploy.js';
import { MINISTACK_BIN } from '../../scripts/local/ministack.js';
import { type App, createApp, TaskError } from '../../src/index.js';
import { type RunningEmulator, startEmulator } from '../../src/local/emulator.js';
import { emulatorEnvironment } from '../../src/local/emulator-environment.js';

let ministack: RunningEmulator;
let workDir: string;
let outputs: DemoStackOutputs;
let app: App;

beforeAll(async () => {
  ministack = await startEmulator({ port: 0, bin: MINISTACK_BIN });

  workDir = mkdtempSync(path.join(tmpdir(), 'celeriac-e2e-'));
  outputs = await deployDemo({
    endpoint: ministack.endpoint,
    assemblyDir: path.join(workDir, 'cdk.out'),
    outputsFile: path.join(workDir, 'outputs.json'),
    logFile: path.join(workDir, 'cdk.log'),
  });
  // The client in this process talks to this MiniStack with the local stack's credentials.
  const env = emulatorEnvironment(ministack.endpoint, {});
  const names = ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
  for (const name of [...names, 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'])
    process.env[name] = env[name];
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  app = createApp({
    endpoint: ministack.endpoint,
    queueUrls: { celery: outputs.queueUrl },
    resultTable: outputs.tableName,
    env: {},
  });
});

afterAll(async () => {
  await ministack?.stop();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

/**
 * Resolves once MiniStack's output contains `text`. MiniStack prints a Lambda invocation's output after the
 * invocation returns, which can be after the client has already read the result the worker stored.
 */
async function logLine(text: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!ministack.output().includes(text) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const line = ministack
    .output()
    .split('\n')
    .find((l) => l.includes(text));
  if (line === undefined)
    throw new Error(`MiniStack printed no line with ${JSON.stringify(text)} in ${timeoutMs} ms`);
  return line;
}

/** Polls a task's state until it is ready, recording every distinct (state, result) seen and when. */
async function follow(taskId: string, timeoutMs = 30_000) {
  const result = app.asyncResult(taskId);
  const seen: { status: string; result: unknown; atMs: number }[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const meta = await result.meta();
    const last = seen.at(-1);
    if (
      last === undefined ||
      last.status !== meta.status ||
      JSON.stringify(last.result) !== JSON.stringify(meta.result)
    ) {
      seen.push({ status: meta.status, result: meta.result, atMs: Date.now() });
    }
    if (meta.status === 'SUCCESS' || meta.status === 'FAILURE') return seen;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `task ${taskId} was not ready within ${timeoutMs} ms; states seen: ${JSON.stringify(seen)}`,
  );
}

describe('the demo stack deployed to MiniStack with the CDK CLI', () => {
  it('outputs the queue, dead-letter queue, table, bucket and worker of the stack on the emulator', () => {
    const queuePrefix = `${new URL(ministack.endpoint).port}/000000000000/CeleriacDemo-TasksQueue`;
    expect(outputs.queueUrl).toContain(queuePrefix);
    expect(outputs.deadLetterQueueUrl).toContain('CeleriacDemo-TasksDeadLetterQueue');
    expect(outputs.tableName).toMatch(/^CeleriacDemo-ResultsTable/);
    expect(outputs.bucketName).toMatch(/^celeriacdemo-resultspayloadbucket/);
    expect(outputs.workerFunctionName).toMatch(/^CeleriacDemo-TasksWorker/);
  });

  it('runs a task in the deployed Lambda worker and the client reads its result', async () => {
    const result = await app.sendTask<number>('tasks.add', [2, 3]);
    expect(await result.get({ timeoutMs: 30_000 })).toBe(5);
    // The worker's own log line, printed by the Lambda inside MiniStack: no other worker exists here.
    expect(await logLine(`task ${result.id} `)).toMatch(/ tasks\.add SUCCESS \d+ms$/);
  });

  it('stores a failing task as FAILURE with its exception, which get() throws as a TaskError', async () => {
    const result = await app.sendTask('tasks.divide', [1, 0]);
    const error = await result.get({ timeoutMs: 30_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TaskError);
    expect(error).toMatchObject({
      excType: 'ZeroDivisionError',
      excModule: 'builtins',
      excArgs: ['cannot divide 1 by zero'],
    });
    expect(await result.state()).toBe('FAILURE');
    expect(await result.traceback()).toContain('ZeroDivisionError: cannot divide 1 by zero');
    expect(await logLine(`task ${result.id} `)).toContain('tasks.divide FAILURE');
  });

  it('holds a task sent with a countdown back until the countdown has passed', async () => {
    const sentAt = Date.now();
    const result = await app.sendTask<number>('tasks.add', [40, 2], {}, { countdown: 3 });
    const seen = await follow(result.id);
    const done = seen.at(-1);
    expect(done).toMatchObject({ status: 'SUCCESS', result: 42 });
    // SQS DelaySeconds: invisible for 3 s (the emulator may round to whole seconds, hence the margin).
    expect((done?.atMs ?? 0) - sentAt).toBeGreaterThanOrEqual(2_500);
  });

  it("shows a task's progress states while it runs, then its result", async () => {
    const result = await app.sendTask('tasks.count', [3, 400]);
    const seen = await follow(result.id);
    const progress = seen.filter((s) => s.status === 'PROGRESS').map((s) => s.result);
    expect(progress.length).toBeGreaterThan(0);
    for (const meta of progress) expect(meta).toMatchObject({ total: 3, current: expect.any(Number) });
    expect(seen.at(-1)).toMatchObject({ status: 'SUCCESS', result: 3 });
  });

  it('fires the deployed heartbeat schedule and the deployed worker runs each slot once, under its own id', async () => {
    // EventBridge Scheduler fires `rate(1 minute)` about a minute after the deploy. MiniStack delivers the input
    // as it is, without putting the scheduled time in for `<aws.scheduler.scheduled-time>` (AWS does); the
    // worker fills the slot in from the time SQS received the message, so two firings are two task ids,
    // `heartbeat-<slot>`, and both run.
    const ddb = new DynamoDBClient({ endpoint: ministack.endpoint });
    const deadline = Date.now() + 210_000;
    const slots = new Map<string, Record<string, unknown>>();
    while (slots.size < 2 && Date.now() < deadline) {
      const { Items = [] } = await ddb.send(
        new ScanCommand({
          TableName: outputs.tableName,
          FilterExpression: 'begins_with(id, :prefix)',
          ExpressionAttributeValues: { ':prefix': { S: "b'celery-task-meta-heartbeat-" } },
          ConsistentRead: true,
        }),
      );
      for (const item of Items) {
        if (!item.result?.B) continue;
        const meta = JSON.parse(new TextDecoder().decode(item.result.B)) as Record<string, unknown>;
        if (meta.status === 'SUCCESS') slots.set(String(meta.task_id), meta);
      }
      if (slots.size < 2) await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    const ids = [...slots.keys()].sort();
    expect(
      ids.length,
      `heartbeat slots that ran within 210 s of the deploy: ${ids.join(', ')}`,
    ).toBeGreaterThanOrEqual(2);
    for (const id of ids) {
      expect(id).toMatch(/^heartbeat-\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
      expect(slots.get(id)?.result).toBe(id);
      expect(await logLine(`task ${id} tasks.heartbeat SUCCESS`)).toBeTruthy();
    }
  }, 240_000);

  it('runs the local demo to the end with every task as expected and no dead letters', async () => {
    configureDemoEnvironment(outputs, ministack.endpoint);
    const tasks = await import('../../examples/tasks.js');
    const lines: string[] = [];
    const report = await runDemo({
      tasks,
      outputs,
      endpoint: ministack.endpoint,
      print: (l) => lines.push(l),
    });
    expect(report.tasks.map((t) => [t.label, t.state])).toEqual([
      ['add.delay(2, 3)', 'SUCCESS'],
      ['divide.delay(1, 0)', 'FAILURE'],
      ['count.delay(4, 400)', 'SUCCESS'],
      ['add.applyAsync([40, 2], {}, { countdown: 3 })', 'SUCCESS'],
    ]);
    expect(report.tasks.map((t) => t.outcome)).toEqual([
      'returns 5',
      'throws TaskError("ZeroDivisionError: cannot divide 1 by zero")',
      'returns 4',
      'returns 42',
    ]);
    expect(report.ok).toBe(true);
    expect(report.deadLetterMessages).toBe(0);
    expect(lines.join('\n')).toContain('FAILURE  ZeroDivisionError: cannot divide 1 by zero');
  });
});
