/**
 * One fault scenario's world: its own queue (with a dead-letter queue), results table and side log on the
 * emulator, a fault proxy in front of the emulator for the workers, real `celeriac worker` processes, and the
 * checks every scenario makes at the end (0 lost, 0 bodies finished twice for one attempt, 0 FAILURE caused by
 * a transient error), with its figures printed.
 *
 * The test itself (sending, reading results, inspecting queues) talks to the emulator directly, so injected
 * faults only ever hit the code under test.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { expect } from 'vitest';
import { type App, createApp, type TaskCall } from '../../../src/index.js';
import { stopProcess } from '../../emulator/moto-server.js';
import { uniqueName } from '../../emulator/unique-name.js';
import { type CliProcess, startCli } from '../../helpers/cli-process.js';
import { createQueueWithDeadLetter } from '../../helpers/sqs-queues.js';
import { type FaultProxy, type FaultRule, startFaultProxy } from './fault-proxy.js';
import { type KilledProcess, readSideLog, type SideLogSummary, summariseSideLog } from './side-log.js';

/** A task's stored final state. */
export interface FinalState {
  readonly status: string;
  readonly excType?: string;
  readonly excMessage?: string;
  readonly result?: unknown;
}

const FINAL = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

/** A FAILURE that a retry could have avoided: the backend's error, throttling, a timeout, a dropped connection. */
const TRANSIENT =
  /BackendError|Throttl|KmsThrottled|TooManyRequests|RequestTimeout|TimeoutError|timed? ?out|ECONN|EPIPE|socket hang up|ServiceUnavailable|InternalServerError|InternalError|ProvisionedThroughput/i;

/** The task id in a kombu SQS envelope (base64 JSON with `headers.id`), if it is one. */
export function taskIdOf(body: string): string | undefined {
  try {
    const envelope = JSON.parse(Buffer.from(body, 'base64').toString('utf8')) as {
      headers?: { id?: unknown };
    };
    return typeof envelope.headers?.id === 'string' ? envelope.headers.id : undefined;
  } catch {
    return undefined;
  }
}

/** Options of {@link createScenario}. */
export interface ScenarioOptions {
  /** Visibility timeout of the queue (and the workers' `--visibility-timeout`). Default 10 s. */
  readonly visibilityTimeoutSeconds?: number;
  /** The queue's redrive `maxReceiveCount`. Default 10. */
  readonly maxReceiveCount?: number;
  /** Proxy rules to start with. Default none. */
  readonly rules?: readonly FaultRule[];
  /** Proxy seed. Default 18. */
  readonly seed?: number;
  /** Create a payload bucket and give it to the workers. Default false. */
  readonly payloadBucket?: boolean;
  /** Extra environment for the workers. */
  readonly env?: Readonly<Record<string, string>>;
}

/** What {@link Scenario.check} found. */
export interface ScenarioFigures {
  readonly tasks: number;
  readonly lost: readonly string[];
  readonly unexpected: readonly { id: string; expected: string; got: FinalState | undefined }[];
  readonly transientFailures: readonly { id: string; state: FinalState }[];
  readonly sideLog: SideLogSummary;
}

export const emulatorEndpoint = (): string => {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint)
    throw new Error('AWS_ENDPOINT_URL is not set: run through the faults project (setup-env.ts)');
  return endpoint;
};

/** A scenario's resources and processes. */
export class Scenario {
  readonly name: string;
  readonly queueUrl: string;
  readonly deadLetterUrl: string;
  readonly table: string;
  readonly bucket: string | undefined;
  readonly sideLogPath: string;
  readonly proxy: FaultProxy;
  readonly visibilityTimeoutSeconds: number;
  /** Sends and reads results, straight to the emulator. */
  readonly client: App;
  readonly sqs: SQSClient;
  readonly workers: CliProcess[] = [];
  readonly killed: KilledProcess[] = [];
  readonly #ddb: DynamoDBClient;
  readonly #env: Readonly<Record<string, string>>;
  readonly #startedAt = Date.now();

  constructor(fields: {
    name: string;
    queueUrl: string;
    deadLetterUrl: string;
    table: string;
    bucket: string | undefined;
    proxy: FaultProxy;
    visibilityTimeoutSeconds: number;
    env: Readonly<Record<string, string>>;
    sqs: SQSClient;
    ddb: DynamoDBClient;
  }) {
    this.name = fields.name;
    this.queueUrl = fields.queueUrl;
    this.deadLetterUrl = fields.deadLetterUrl;
    this.table = fields.table;
    this.bucket = fields.bucket;
    this.proxy = fields.proxy;
    this.visibilityTimeoutSeconds = fields.visibilityTimeoutSeconds;
    this.sqs = fields.sqs;
    this.#ddb = fields.ddb;
    this.sideLogPath = path.join(tmpdir(), `celeriac-${fields.name}.jsonl`);
    rmSync(this.sideLogPath, { force: true });
    this.#env = {
      CELERIAC_QUEUE_URLS: JSON.stringify({ celery: fields.queueUrl }),
      CELERIAC_RESULT_TABLE: fields.table,
      ...(fields.bucket ? { CELERIAC_PAYLOAD_BUCKET: fields.bucket } : {}),
      FAULT_SIDE_LOG: this.sideLogPath,
      ...fields.env,
      AWS_ENDPOINT_URL: fields.proxy.endpoint,
    };
    this.client = createApp({
      queueUrls: { celery: fields.queueUrl },
      resultTable: fields.table,
      ...(fields.bucket ? { payloadBucket: fields.bucket } : {}),
      env: { AWS_ENDPOINT_URL: emulatorEndpoint() },
    });
  }

  /** Environment for an in-process consumer (the Lambda handler) that should go through the proxy. */
  get workerEnv(): Readonly<Record<string, string>> {
    return this.#env;
  }

  /** Starts a `celeriac worker` process on the scenario's queue, through the proxy; resolves once it consumes. */
  async startWorker(
    options: { concurrency?: number; extraArgs?: readonly string[] } = {},
  ): Promise<CliProcess> {
    const worker = startCli(
      [
        'worker',
        '--app',
        'test/faults/fixtures/fault-app.ts',
        '--wait-time',
        '1',
        '--concurrency',
        String(options.concurrency ?? 8),
        '--visibility-timeout',
        String(this.visibilityTimeoutSeconds),
        ...(options.extraArgs ?? []),
      ],
      this.#env,
    );
    this.workers.push(worker);
    await worker.waitFor(/consuming celery/, 60_000);
    return worker;
  }

  /** SIGKILLs a worker and remembers when, so a rerun after the crash is told apart from a duplicate. */
  async kill(worker: CliProcess): Promise<void> {
    const pid = worker.child.pid;
    worker.child.kill('SIGKILL');
    if (pid !== undefined) this.killed.push({ pid, atMs: Date.now() });
    await worker.exited;
  }

  /** Sends tasks (straight to the emulator); returns their ids. */
  async send(calls: readonly TaskCall[]): Promise<string[]> {
    const results = await this.client.sendTasks(calls);
    return results.map((r) => r.id);
  }

  /** Every stored result of the scenario's table, by task id. */
  async results(): Promise<Map<string, FinalState>> {
    const states = new Map<string, FinalState>();
    let start: ScanCommandOutput['LastEvaluatedKey'];
    do {
      const page = await this.#ddb.send(
        new ScanCommand({ TableName: this.table, ...(start ? { ExclusiveStartKey: start } : {}) }),
      );
      for (const item of page.Items ?? []) {
        const key = item.id?.S ?? '';
        const match = /^b'celery-task-meta-(.+)'$/.exec(key);
        const raw = item.result?.B;
        if (!match?.[1] || !raw) continue;
        const meta = JSON.parse(Buffer.from(raw).toString('utf8')) as { status: string; result: unknown };
        const info = meta.result as { exc_type?: unknown; exc_message?: unknown } | null;
        states.set(match[1], {
          status: meta.status,
          result: meta.result,
          ...(typeof info?.exc_type === 'string' ? { excType: info.exc_type } : {}),
          ...(info?.exc_message === undefined ? {} : { excMessage: JSON.stringify(info.exc_message) }),
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return states;
  }

  /** Waits until every id has a final state (SUCCESS, FAILURE, REVOKED), or the deadline passes. */
  async waitForFinal(ids: readonly string[], timeoutMs: number): Promise<Map<string, FinalState>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await this.results();
      const open = ids.filter((id) => !FINAL.has(states.get(id)?.status ?? ''));
      if (open.length === 0 || Date.now() > deadline) {
        await this.waitQuiet(15_000);
        return states;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  /**
   * Waits until no task body is still running in a live process (every start has its end or abort), so a
   * second run still under way when the last result lands is counted too.
   */
  async waitQuiet(timeoutMs: number): Promise<void> {
    const killed = new Set(this.killed.map((k) => k.pid));
    const running = (): number => {
      let open = 0;
      for (const r of readSideLog(this.sideLogPath)) {
        if (killed.has(r.pid)) continue;
        if (r.ev === 'start') open++;
        else if (r.ev === 'end' || r.ev === 'abort') open--;
      }
      return open;
    };
    await until(() => running() <= 0, timeoutMs, 'running task bodies to finish').catch((error: unknown) =>
      console.log(`[faults] ${this.name}: ${String(error)}; ${running()} still running`),
    );
  }

  /** Visible and in-flight message counts of a queue (default: the scenario's queue). */
  async depth(queueUrl = this.queueUrl): Promise<{ visible: number; inFlight: number; delayed: number }> {
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
      delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed),
    };
  }

  /**
   * Receives messages from the dead-letter queue (keeping them invisible) until every id in `expected` has come,
   * or the deadline passes; returns all it received, by message id.
   */
  async deadLetters(expected: readonly string[], timeoutMs: number): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const deadline = Date.now() + timeoutMs;
    while (expected.some((id) => !found.has(id)) && Date.now() < deadline) {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.deadLetterUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: 600,
        }),
      );
      for (const m of Messages) found.set(m.MessageId ?? '', m.Body ?? '');
    }
    return found;
  }

  /** Every worker's output, in start order. */
  output(): string {
    return this.workers.map((w, i) => `--- worker ${i} (pid ${w.child.pid}) ---\n${w.output()}`).join('\n');
  }

  /** Output lines matching `pattern`, at most `max`. */
  lines(pattern: RegExp, max = 10): string[] {
    return this.output()
      .split('\n')
      .filter((line) => pattern.test(line))
      .slice(0, max);
  }

  /** Stops every worker still running (SIGTERM, then SIGKILL) and the proxy. */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => stopProcess(w.child, 8000)));
    await this.proxy.stop();
    rmSync(this.sideLogPath, { force: true });
  }

  /**
   * Checks the scenario's invariants (softly, so every broken one is reported) and prints its figures:
   * every id reaches its expected final state, no attempt's body finished twice, no FAILURE came from a
   * transient error.
   */
  check(
    ids: readonly string[],
    states: ReadonlyMap<string, FinalState>,
    expected: (id: string) => string = () => 'SUCCESS',
  ): ScenarioFigures {
    const sideLog = summariseSideLog(this.sideLogPath, this.killed);
    const lost = ids.filter((id) => !FINAL.has(states.get(id)?.status ?? ''));
    const unexpected = ids
      .filter((id) => FINAL.has(states.get(id)?.status ?? ''))
      .filter((id) => {
        const state = states.get(id);
        const want = expected(id);
        return !(state?.status === want || `${state?.status} ${state?.excType}` === want);
      })
      .map((id) => ({ id, expected: expected(id), got: states.get(id) }));
    const transientFailures = [...states]
      .filter(([, s]) => s.status === 'FAILURE' && TRANSIENT.test(`${s.excType ?? ''} ${s.excMessage ?? ''}`))
      .map(([id, state]) => ({ id, state }));
    const stats = this.proxy.stats();
    const figures = {
      scenario: this.name,
      tasks: ids.length,
      requests: stats.totalRequests,
      faultsInjected: stats.faultsByKind,
      faultsByOperation: stats.faults,
      frozenRequests: stats.frozen,
      starts: sideLog.starts,
      ends: sideLog.ends,
      handedBack: sideLog.aborts,
      duplicates: sideLog.duplicates.length,
      concurrentDuplicates: sideLog.duplicates.filter((d) => d.concurrent).length,
      rerunsAfterKill: sideLog.rerunsAfterKill,
      lost: lost.length,
      unexpected: unexpected.length,
      transientFailures: transientFailures.length,
      maxEventLoopStallMs: sideLog.maxLagMs,
      elapsedSeconds: Math.round((Date.now() - this.#startedAt) / 100) / 10,
    };
    console.log(`[faults] ${this.name} figures ${JSON.stringify(figures)}`);
    if (sideLog.duplicates.length > 0)
      console.log(
        `[faults] ${this.name} duplicate runs (sample) ${JSON.stringify(sideLog.duplicates.slice(0, 3))}`,
      );
    if (lost.length > 0) {
      const sample = lost.slice(0, 3);
      console.log(
        `[faults] ${this.name} lost (sample) ${JSON.stringify(sample.map((id) => ({ id, state: states.get(id) })))}`,
      );
      for (const id of sample) console.log(this.lines(new RegExp(id), 5).join('\n'));
    }
    if (unexpected.length > 0)
      console.log(`[faults] ${this.name} unexpected (sample) ${JSON.stringify(unexpected.slice(0, 3))}`);
    if (transientFailures.length > 0)
      console.log(
        `[faults] ${this.name} transient FAILURE (sample) ${JSON.stringify(transientFailures.slice(0, 3))}`,
      );

    expect.soft(lost, 'lost: tasks that never reached a final state').toEqual([]);
    expect
      .soft(sideLog.duplicates, 'bodies that finished twice for one attempt (task id, retries)')
      .toEqual([]);
    expect.soft(transientFailures, 'FAILURE caused by a transient error').toEqual([]);
    expect.soft(unexpected, 'final states other than expected').toEqual([]);
    return { tasks: ids.length, lost, unexpected, transientFailures, sideLog };
  }
}

/** Creates a results table in Celery's DynamoDB schema (partition key `id`) and waits until it is active. */
async function createResultTable(ddb: DynamoDBClient, table: string): Promise<void> {
  await ddb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await until(
    async () =>
      (await ddb.send(new DescribeTableCommand({ TableName: table }))).Table?.TableStatus === 'ACTIVE',
    30_000,
    `table ${table} to be active`,
  );
}

/** Creates a scenario's queue (with a DLQ), table, optional bucket, and proxy. */
export async function createScenario(name: string, options: ScenarioOptions = {}): Promise<Scenario> {
  const endpoint = emulatorEndpoint();
  const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
  const ddb = new DynamoDBClient({ endpoint });
  const unique = uniqueName(`faults-${name}`);
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 10;
  const { queueUrl, deadLetterUrl } = await createQueueWithDeadLetter(sqs, unique, {
    maxReceiveCount: options.maxReceiveCount ?? 10,
    visibilityTimeoutSeconds,
  });
  const table = `${unique}-results`;
  await createResultTable(ddb, table);
  let bucket: string | undefined;
  if (options.payloadBucket) {
    bucket = `${unique}-payloads`;
    await new S3Client({ endpoint, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: bucket }));
  }
  const proxy = await startFaultProxy(endpoint, {
    seed: options.seed ?? 18,
    ...(options.rules ? { rules: options.rules } : {}),
  });
  return new Scenario({
    name: unique,
    queueUrl,
    deadLetterUrl,
    table,
    bucket,
    proxy,
    visibilityTimeoutSeconds,
    env: options.env ?? {},
    sqs,
    ddb,
  });
}

/** `n` calls of `name` with `args(i)`. */
export function calls(n: number, name: string, args: (i: number) => unknown[]): TaskCall[] {
  return Array.from({ length: n }, (_, i) => ({ name, args: args(i) }));
}

/** Resolves after `ms`. */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds (polled every 100 ms), or throws after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(100);
  }
}
