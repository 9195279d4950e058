/**
 * A mixed fleet on the emulator for interop tests: one SQS queue that a Python Celery worker
 * (`test/interop/fixtures/mixed_fleet_app.py`, with or without `celeriac_celery`) and a `celeriac worker`
 * (`test/interop/fixtures/mixed-fleet-app.ts`) both consume, a results table both write, and a side-channel
 * file where every finished body of `mixed.mark(key, sleepMs)` appends a line (`{"key", "side", "pid"}`), so
 * runs are counted apart from the results, without adding requests to the emulator.
 *
 * SQS traffic of both workers goes through a fault proxy without rules (test/faults/helpers/fault-proxy.ts),
 * which records every message handed out with its receipt handle, so a test can make a running task's message
 * visible again or send a copy of it. DynamoDB traffic goes to the emulator directly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ensureResultTable } from '../../../src/aws/index.js';
import {
  type RunningEmulator,
  repoRoot,
  startMotoServer,
  stopProcess,
  venvBin,
} from '../../emulator/moto-server.js';
import { uniqueName } from '../../emulator/unique-name.js';
import { type FaultProxy, startFaultProxy } from '../../faults/helpers/fault-proxy.js';
import { type CliProcess, startCli } from '../../helpers/cli-process.js';
import { depths } from '../../helpers/operator-queues.js';
import { mixedFleetPythonPath, pythonCeleryEnv } from './python-celery.js';

/** One finished body of a key, as the side channel recorded it. */
export interface RunMark {
  readonly side: 'py' | 'ts';
  readonly pid: number;
  /** The attempt (`retries`), when the task records it (Python's `mixed.flaky`). */
  readonly attempt?: number;
}

/** A running worker process of either side. */
export interface FleetWorker {
  readonly pid: number;
  /** Everything the process printed so far. */
  logs(): string;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (warm shutdown), and wait for the exit. */
  stop(): Promise<void>;
}

/** The fleet's world: queue, tables, proxy, and how to start each side's workers. */
export interface MixedFleet {
  /** The emulator's base URL (the suite's, or the fleet's own). */
  readonly endpoint: string;
  readonly queueUrl: string;
  readonly resultTable: string;
  readonly proxy: FaultProxy;
  readonly sqs: SQSClient;
  /** The environment a celeriac client needs to send to the queue and read results. */
  readonly clientEnv: Readonly<Record<string, string>>;
  /** A Python Celery worker; `claims: false` leaves celeriac_celery out. */
  startPython(options: { concurrency: number; claims: boolean }): Promise<FleetWorker>;
  /** A `celeriac worker`. */
  startCeleriac(options: { concurrency: number }): Promise<FleetWorker>;
  /** The environment of a Python snippet run with `runPython` (plain Celery, no package). */
  pythonEnv(): Record<string, string>;
  /** Every key's finished runs so far. */
  runs(): Promise<Map<number, RunMark[]>>;
  /** How many keys have finished at least once. */
  finishedKeys(): Promise<number>;
  /** Messages visible, in flight and delayed. */
  depth(): Promise<{ visible: number; inFlight: number; delayed: number }>;
  /** Sends copies of messages as new messages (the same bodies, so the same task ids), in batches of 10. */
  sendCopies(bodies: readonly string[]): Promise<void>;
  /** Waits until the queue holds no message, visible, in flight or delayed; throws naming `what` after `timeoutMs`. */
  untilDrained(what: string, timeoutMs: number): Promise<void>;
  /** Stops the proxy (and the fleet's own emulator) and removes the side-channel file. */
  close(): Promise<void>;
}

function emulator(): string {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new Error('AWS_ENDPOINT_URL is not set: run in the `integration` project');
  return endpoint;
}

/** A process and its output, killed at the test worker's exit if still running. */
function watch(child: ChildProcess): { logs: () => string; exited: Promise<void> } {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-2_000_000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-2_000_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.once('exit', () => child.kill('SIGKILL'));
  return { logs: () => output, exited };
}

async function waitForOutput(logs: () => string, pattern: RegExp, exited: Promise<void>, what: string) {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + 30_000;
  while (!pattern.test(logs())) {
    if (gone) throw new Error(`${what} exited before it was ready:\n${logs().slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`${what} was not ready within 30 s:\n${logs().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Creates the queue (visibility `visibilitySeconds`), the tables and the proxy of one fleet. With `ownEmulator`
 * the fleet starts a moto server of its own, so a long run neither slows nor is slowed by the test files that
 * share the suite's.
 */
export async function createMixedFleet(
  name: string,
  visibilitySeconds: number,
  options: { ownEmulator?: boolean } = {},
): Promise<MixedFleet> {
  const own: RunningEmulator | undefined = options.ownEmulator ? await startMotoServer() : undefined;
  const endpoint = own?.endpoint ?? emulator();
  const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
  const ddb = new DynamoDBClient({ endpoint });
  const prefix = `${uniqueName(name)}-`;
  const resultTable = `${prefix}results`;
  const runsFile = path.join(tmpdir(), `${prefix}runs.jsonl`);
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}celery`,
      Attributes: { VisibilityTimeout: String(visibilitySeconds) },
    }),
  );
  if (!queueUrl) throw new Error('CreateQueue returned no QueueUrl');
  await ensureResultTable(ddb, resultTable);
  const proxy = await startFaultProxy(endpoint);
  const python = (claims: boolean): Record<string, string> => ({
    PYTHONPATH: mixedFleetPythonPath,
    CELERIAC_TEST_ENDPOINT: proxy.endpoint,
    CELERIAC_TEST_DYNAMODB_ENDPOINT: endpoint,
    CELERIAC_TEST_QUEUE_PREFIX: prefix,
    CELERIAC_TEST_RESULT_TABLE: resultTable,
    CELERIAC_TEST_VISIBILITY_SECONDS: String(visibilitySeconds),
    MIXED_RUNS_FILE: runsFile,
    MIXED_CLAIMS: claims ? '1' : '0',
  });
  const clientEnv = {
    CELERIAC_QUEUE_URLS: JSON.stringify({ celery: queueUrl }),
    CELERIAC_RESULT_TABLE: resultTable,
  };
  return {
    endpoint,
    queueUrl,
    resultTable,
    proxy,
    sqs,
    clientEnv,
    pythonEnv: () => python(false),
    async startPython({ concurrency, claims }) {
      const args = [
        '-m',
        'celery',
        '-A',
        'mixed_fleet_app',
        'worker',
        '--pool=threads',
        `--concurrency=${concurrency}`,
        '--queues=celery',
        `--hostname=mixed-${process.pid}-${Date.now()}@%h`,
        '--without-heartbeat',
        '--without-mingle',
        '--without-gossip',
        '--loglevel=INFO',
      ];
      const child = spawn(venvBin('python'), args, {
        cwd: repoRoot,
        env: pythonCeleryEnv({ env: python(claims) }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const { logs, exited } = watch(child);
      await waitForOutput(logs, / ready\.\s*$/m, exited, 'the Python Celery worker');
      return worker(child, logs, exited);
    },
    async startCeleriac({ concurrency }) {
      const cli: CliProcess = startCli(
        [
          'worker',
          '--app',
          'test/interop/fixtures/mixed-fleet-app.ts',
          '--concurrency',
          String(concurrency),
          '--visibility-timeout',
          String(visibilitySeconds),
          '--wait-time',
          '1',
        ],
        {
          ...clientEnv,
          AWS_ENDPOINT_URL: proxy.endpoint,
          AWS_ENDPOINT_URL_DYNAMODB: endpoint,
          MIXED_RUNS_FILE: runsFile,
        },
      );
      const exited = cli.exited.then(() => undefined);
      await cli.waitFor(/consuming celery/);
      return worker(cli.child, cli.output, exited);
    },
    runs: async () => readRuns(runsFile),
    finishedKeys: async () => readRuns(runsFile).size,
    depth: () => depths(sqs, queueUrl),
    async sendCopies(bodies) {
      for (let i = 0; i < bodies.length; i += 10) {
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body })),
          }),
        );
      }
    },
    untilDrained: (what, timeoutMs) =>
      until(
        what,
        async () => {
          const d = await depths(sqs, queueUrl);
          return d.visible + d.inFlight + d.delayed === 0;
        },
        timeoutMs,
      ),
    async close() {
      await proxy.stop();
      await own?.stop();
      rmSync(runsFile, { force: true });
    },
  };
}

/** The side-channel file's marks by key; a line still being written (no newline yet) is left for later. */
function readRuns(runsFile: string): Map<number, RunMark[]> {
  const byKey = new Map<number, RunMark[]>();
  const text = existsSync(runsFile) ? readFileSync(runsFile, 'utf8') : '';
  for (const line of text.split('\n').slice(0, -1)) {
    const { key, ...mark } = JSON.parse(line) as { key: number } & RunMark;
    byKey.set(key, [...(byKey.get(key) ?? []), mark]);
  }
  return byKey;
}

function worker(child: ChildProcess, logs: () => string, exited: Promise<void>): FleetWorker {
  const pid = child.pid;
  if (pid === undefined) throw new Error('the worker process has no pid');
  return {
    pid,
    logs,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      await stopProcess(child, 20_000);
    },
  };
}

/** Polls `probe` every 500 ms until it returns true; throws after `timeoutMs`. */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
