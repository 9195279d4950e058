/**
 * `npm run bench`: worker throughput on an emulator, against baselines measured in the same run, and the
 * execution core's CPU time per task. Starts its own emulators: ElasticMQ and dynalite by default
 * (`fast-emulators.ts`; Maven and Java 17 fetch and run ElasticMQ), moto with `BENCH_EMULATOR=moto`; needs the
 * project venv (`bash scripts/python-env.sh`). What each number means: BENCHMARKS.md.
 *
 * 1. N `bench.add` tasks queued with `sendTasks`, drained by `runWorker` in-process with results stored:
 *    tasks/s and AWS calls per task (counted at the SDK middleware);
 *    beside it, the same calls made with the raw SDK at the same concurrency (`raw-drain.ts`), and Python Celery
 *    draining N tasks on the same emulator (`python-celery-rate.ts`).
 * 2. `executeMessage` on the in-memory transport: CPU microseconds per task, against decoding the message and
 *    encoding its result alone (`core-cpu.ts`).
 * 3. CPU per task on the SDK path during the drains of 1: the worker's process and each emulator's
 *    (`process-cpu.ts`), for celeriac and the raw drain.
 *
 * After a warm-up drain of BENCH_WARMUP tasks by each (not counted), the raw and celeriac drains alternate for
 * BENCH_ROUNDS rounds (fresh queues each time); their medians and ranges are printed. Python Celery runs once (its worker takes seconds to start).
 *
 * Settings (environment): BENCH_EMULATOR (fast | moto), BENCH_TASKS (1000), BENCH_WARMUP (2000), BENCH_CONCURRENCY (10), BENCH_ROUNDS (3), BENCH_CPU_MESSAGES (3000),
 * BENCH_CPU_ROUNDS (5).
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createAwsClients } from '../src/aws/clients.js';
import { ensureResultTable } from '../src/aws/index.js';
import { resolveConfig } from '../src/config/resolve-config.js';
import { createApp, createAwsTransport } from '../src/index.js';
import { buildResultMeta, encodeResultMeta } from '../src/protocol/result-meta.js';
import { runWorker } from '../src/worker/run-worker.js';
import { repoRoot } from '../test/emulator/moto-server.js';
import { runPython } from '../test/interop/helpers/python-celery.js';
import { AwsCallCounter, perTask } from './aws-call-counter.js';
import { measureCoreCpu } from './core-cpu.js';
import {
  type BenchEndpoints,
  benchEmulatorSetting,
  startBenchEmulators,
  useBenchEnv,
} from './fast-emulators.js';
import { type CpuSpan, startCpuSpan } from './process-cpu.js';
import { measurePythonCelery, type PythonCeleryRate } from './python-celery-rate.js';
import { rawDrain } from './raw-drain.js';

function intSetting(name: string, fallback: number): number {
  const text = process.env[name];
  const value = text === undefined || text === '' ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`Expected ${name} to be a whole number >= 1, got ${JSON.stringify(text)}`);
  }
  return value;
}

const TASKS = intSetting('BENCH_TASKS', 1000);
/** Tasks drained by celeriac and by the raw drain before the measured rounds, so JIT compilation is not timed. */
const WARMUP = process.env.BENCH_WARMUP === '0' ? 0 : intSetting('BENCH_WARMUP', 2000);
const CONCURRENCY = intSetting('BENCH_CONCURRENCY', 10);
const ROUNDS = intSetting('BENCH_ROUNDS', 3);
const CPU_MESSAGES = intSetting('BENCH_CPU_MESSAGES', 3000);
const CPU_ROUNDS = intSetting('BENCH_CPU_ROUNDS', 5);
const PYTHON_TIMEOUT_MS = 120_000;

const sum = (counts: Readonly<Record<string, number>>): number =>
  Object.values(counts).reduce((a, b) => a + b, 0);
const rate = (count: number, ms: number): number => (count / ms) * 1000;
const fixed = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 === 1
    ? (sorted[Math.floor(mid)] ?? Number.NaN)
    : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
};
/** `44.7 (43.1-46.0)`: the median and the range of several rates. */
const spread = (values: readonly number[]): string =>
  values.length === 1
    ? fixed(values[0] ?? Number.NaN)
    : `${fixed(median(values))} (${fixed(Math.min(...values))}-${fixed(Math.max(...values))})`;

function packageVersion(name: string): string {
  const file = `${repoRoot}/node_modules/${name}/package.json`;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

async function createQueue(sqs: SQSClient, name: string): Promise<string> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '60' } }),
  );
  if (!QueueUrl) throw new Error(`could not create ${name}`);
  return QueueUrl;
}

const addCalls = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ name: 'bench.add', args: [i, 1] as unknown[] }));

/** Queues N tasks with celeriac and drains them with `runWorker`, counting the worker's AWS calls. */
async function measureCeleriac(
  emulators: BenchEndpoints,
  queueUrl: string,
  resultTable: string,
  count = TASKS,
) {
  // Endpoints come from AWS_ENDPOINT_URL_SQS / _DYNAMODB (startBenchEmulators).
  const settings = { queueUrls: { celery: queueUrl }, resultTable, region: 'us-east-1' };
  const config = resolveConfig(settings);
  const clients = createAwsClients(config);
  const counter = new AwsCallCounter().watch(clients.sqs).watch(clients.dynamodb);
  const app = createApp({ ...settings, transport: createAwsTransport(config, clients) });
  app.task('bench.add', (a: number, b: number) => a + b);

  const sendStarted = performance.now();
  const results = await app.sendTasks<number>(addCalls(count));
  const sendMs = performance.now() - sendStarted;
  const producerCalls = counter.snapshot();
  counter.reset();

  const states: Record<string, number> = {};
  let finished = 0;
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const started = performance.now();
  const endCpu = startCpuSpan(emulators.processes);
  const worker = runWorker(app, {
    concurrency: CONCURRENCY,
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: 60,
    log: () => undefined,
    onOutcome: (outcome) => {
      states[outcome.state] = (states[outcome.state] ?? 0) + 1;
      if (++finished === count) allDone();
    },
  });
  await done;
  const drainMs = performance.now() - started;
  const cpu = endCpu();
  await worker.stop();
  await worker.stopped;
  const workerCalls = counter.snapshot();

  if (states.SUCCESS !== count) throw new Error(`celeriac outcomes: ${JSON.stringify(states)}`);
  const values = await Promise.all(results.map((r) => r.get({ timeoutMs: 30_000 })));
  const wrong = values.filter((value, i) => value !== i + 1).length;
  if (wrong > 0) throw new Error(`${wrong} celeriac results are wrong`);
  return { sendMs, drainMs, producerCalls, workerCalls, cpu };
}

/** Queues N celeriac messages and drains them with raw SDK calls, counting those calls. */
async function measureRaw(emulators: BenchEndpoints, queueUrl: string, resultTable: string, count = TASKS) {
  const sender = createApp({ queueUrls: { celery: queueUrl }, resultTable, region: 'us-east-1' });
  await sender.sendTasks(addCalls(count));
  const sqs = new SQSClient({
    endpoint: emulators.sqsEndpoint,
    region: 'us-east-1',
    useQueueUrlAsEndpoint: false,
  });
  const dynamodb = new DynamoDBClient({ endpoint: emulators.dynamodbEndpoint, region: 'us-east-1' });
  const counter = new AwsCallCounter().watch(sqs).watch(dynamodb);
  const resultBytes = new TextEncoder().encode(
    encodeResultMeta(
      buildResultMeta({
        taskId: '00000000-0000-4000-8000-000000000000',
        status: 'SUCCESS',
        result: count,
        dateDone: new Date(),
      }),
    ),
  );
  const endCpu = startCpuSpan(emulators.processes);
  const drainMs = await rawDrain({
    sqs,
    dynamodb,
    queueUrl,
    tableName: resultTable,
    messages: count,
    concurrency: CONCURRENCY,
    resultBytes,
  });
  return { drainMs, calls: counter.snapshot(), cpu: endCpu() };
}

/** The median over rounds of one process's CPU milliseconds per task, or `undefined` when unread. */
function cpuMsPerTask(spans: readonly CpuSpan[], name?: string): number | undefined {
  const values = spans.map((span) => (name === undefined ? span.self : span.others[name]));
  if (values.some((v) => v === undefined)) return undefined;
  return median(values.map((v) => (v ?? 0) / TASKS / 1000));
}

/**
 * Section 3: CPU per task on the SDK path, from the drains of section 1: the worker's own process (the
 * benchmark runs it in-process) and each emulator's, for celeriac and for the raw-SDK drain of the same calls,
 * and what the emulators' share leaves of two cores.
 */
function cpuSection(
  emulators: BenchEndpoints,
  celeriacRuns: readonly { readonly cpu: CpuSpan }[],
  rawRuns: readonly { readonly cpu: CpuSpan }[],
  figures: { celeriacWorkerCalls: number; rawCalls: number; pythonRate: number; celeriacRate: number },
): string[] {
  const names = emulators.processes.map((p) => p.name);
  const row = (label: string, ...cells: string[]) =>
    `  ${label.padEnd(46)}${cells.map((c) => c.padStart(12)).join('')}`;
  const ms = (value: number | undefined) => (value === undefined ? 'n/a' : value.toFixed(2));
  const line = (label: string, spans: readonly CpuSpan[], calls: number) => {
    const worker = cpuMsPerTask(spans);
    const others = names.map((name) => cpuMsPerTask(spans, name));
    const all = others.some((v) => v === undefined)
      ? undefined
      : others.reduce<number>((total, v) => total + (v ?? 0), worker ?? 0);
    return {
      text: row(
        label,
        ms(worker),
        ms(worker === undefined ? undefined : worker / calls),
        ...others.map(ms),
        ms(all),
      ),
      worker,
      others,
    };
  };
  const celeriac = line(
    'celeriac worker process',
    celeriacRuns.map((r) => r.cpu),
    figures.celeriacWorkerCalls,
  );
  const raw = line(
    'raw SDK drain process',
    rawRuns.map((r) => r.cpu),
    figures.rawCalls,
  );
  const emulatorMs = celeriac.others.some((v) => v === undefined)
    ? undefined
    : celeriac.others.reduce<number>((total, v) => total + (v ?? 0), 0);
  const cores = cpus().length;
  const out = [
    `3. CPU per task on the SDK path, during the drains of section 1 (ms of CPU per task, median of ${ROUNDS} rounds)`,
    row('', 'worker', 'per call', ...names, 'all'),
    celeriac.text,
    raw.text,
    row('goal: celeriac worker at most', '1.00'),
  ];
  if (celeriac.worker !== undefined && raw.worker !== undefined) {
    out.push(row('ratio celeriac worker / raw SDK worker', (celeriac.worker / raw.worker).toFixed(2)));
  }
  if (emulatorMs !== undefined && emulatorMs > 0) {
    const bound = (cores * 1000) / emulatorMs;
    out.push(
      `  the emulators alone spend ${emulatorMs.toFixed(2)} ms of CPU per celeriac task: on ${cores} cores, even a worker`,
      `  that cost nothing would drain at most ${bound.toFixed(0)} tasks/s, ${(bound / figures.pythonRate).toFixed(1)}x Python Celery threads ` +
        `(celeriac: ${(figures.celeriacRate / figures.pythonRate).toFixed(1)}x)`,
    );
  } else if (names.length === 0) {
    out.push('  (the emulator is moto, run by the test harness: its CPU is not read)');
  }
  return out;
}

async function main(): Promise<void> {
  useBenchEnv();

  const benchStarted = performance.now();
  const loadBefore = loadavg();
  const emulators = await startBenchEmulators(benchEmulatorSetting());
  let python: PythonCeleryRate | string;
  let prefork: PythonCeleryRate | string;
  const celeriacRuns: Awaited<ReturnType<typeof measureCeleriac>>[] = [];
  const rawRuns: Awaited<ReturnType<typeof measureRaw>>[] = [];
  let versions: Record<string, string>;
  try {
    versions = await runPython<Record<string, string>>(
      'import json, importlib.metadata as m, platform\n' +
        'print(json.dumps({"python": platform.python_version(), ' +
        '**{p: m.version(p) for p in ("moto", "celery", "kombu", "boto3")}}))',
    );
    const sqs = new SQSClient({
      endpoint: emulators.sqsEndpoint,
      region: 'us-east-1',
      useQueueUrlAsEndpoint: false,
    });
    const ddb = new DynamoDBClient({ endpoint: emulators.dynamodbEndpoint, region: 'us-east-1' });
    await ensureResultTable(ddb, 'bench-results');
    await ensureResultTable(ddb, 'bench-py-results');
    await createQueue(sqs, 'bench-py-celery');
    await createQueue(sqs, 'bench-pf-celery');

    if (WARMUP > 0) {
      // Warms V8 (the worker's and dynalite's) and the JVM (ElasticMQ) with the same code paths; not counted.
      process.stderr.write(`warm-up: raw SDK drain and celeriac drain of ${WARMUP} tasks each...\n`);
      await measureRaw(emulators, await createQueue(sqs, 'bench-raw-warm'), 'bench-results', WARMUP);
      await measureCeleriac(
        emulators,
        await createQueue(sqs, 'bench-celeriac-warm'),
        'bench-results',
        WARMUP,
      );
    }
    for (let round = 1; round <= ROUNDS; round++) {
      process.stderr.write(`round ${round}/${ROUNDS}: raw SDK drain of ${TASKS} messages...\n`);
      rawRuns.push(
        await measureRaw(emulators, await createQueue(sqs, `bench-raw-${round}`), 'bench-results'),
      );
      process.stderr.write(`round ${round}/${ROUNDS}: celeriac send and drain of ${TASKS} tasks...\n`);
      celeriacRuns.push(
        await measureCeleriac(emulators, await createQueue(sqs, `bench-celeriac-${round}`), 'bench-results'),
      );
    }
    const measurePython = async (pool: 'threads' | 'prefork', queuePrefix: string, concurrency: number) => {
      process.stderr.write(`Python Celery (${pool}, ${concurrency}) send and drain of ${TASKS} tasks...\n`);
      try {
        return await measurePythonCelery({
          queuePrefix,
          resultTable: 'bench-py-results',
          tasks: TASKS,
          concurrency,
          pool,
          timeoutMs: PYTHON_TIMEOUT_MS,
        });
      } catch (error) {
        process.exitCode = 1;
        return error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
      }
    };
    python = await measurePython('threads', 'bench-py-', CONCURRENCY);
    prefork = await measurePython('prefork', 'bench-pf-', cpus().length);
  } finally {
    await emulators.stop();
  }
  const loadAfter = loadavg();
  process.stderr.write(`core CPU: ${CPU_ROUNDS} rounds of ${CPU_MESSAGES} messages in memory...\n`);
  const cpu = await measureCoreCpu(CPU_MESSAGES, CPU_ROUNDS);

  const celeriacRates = celeriacRuns.map((run) => rate(TASKS, run.drainMs));
  const rawRates = rawRuns.map((run) => rate(TASKS, run.drainMs));
  const celeriacRate = median(celeriacRates);
  const rawRate = median(rawRates);
  // Call counts barely vary between rounds; the last round's are shown.
  const celeriac = celeriacRuns.at(-1);
  const raw = rawRuns.at(-1);
  if (!celeriac || !raw) throw new Error('no round ran');
  const pythonRate = typeof python === 'string' ? Number.NaN : rate(TASKS, python.drainMs);
  const preforkRate = typeof prefork === 'string' ? Number.NaN : rate(TASKS, prefork.drainMs);
  const pythonRow = (run: PythonCeleryRate | string, label: string, tasksPerSecond: number) =>
    typeof run === 'string'
      ? row(`${label}: not measured (${run})`)
      : row(
          label,
          fixed(tasksPerSecond),
          fixed(sum(run.workerCalls) / TASKS, 2),
          fixed((sum(run.workerCalls) + sum(run.producerCalls)) / TASKS, 2),
        );
  const celeriacWorkerCalls = sum(celeriac.workerCalls) / TASKS;
  const celeriacProducerCalls = sum(celeriac.producerCalls) / TASKS;
  const row = (label: string, ...cells: string[]) =>
    `  ${label.padEnd(46)}${cells.map((c, i) => c.padStart(i === 0 ? 20 : 12)).join('')}`;

  const lines = [
    '',
    `celeriac bench: ${TASKS} tasks, concurrency ${CONCURRENCY}, after a warm-up of ${WARMUP} tasks (not counted)`,
    `  ${cpuModel()}, ${cpus().length} cores; Node ${process.version}; @aws-sdk/client-sqs ${packageVersion('@aws-sdk/client-sqs')}, ` +
      `@aws-sdk/client-dynamodb ${packageVersion('@aws-sdk/client-dynamodb')}`,
    `  load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after`,
    `  emulators: ${emulators.label}`,
    `  Python ${versions.python}; moto ${versions.moto}, celery ${versions.celery}, kombu ${versions.kombu}, boto3 ${versions.boto3}`,
    '',
    `1. Worker throughput on ${emulators.label}, results stored in DynamoDB (tasks/s: median (range) of ${ROUNDS} rounds)`,
    row('', 'tasks/s', 'calls/task', '+producer'),
    row(
      'celeriac runWorker (in-process)',
      spread(celeriacRates),
      fixed(celeriacWorkerCalls, 2),
      fixed(celeriacWorkerCalls + celeriacProducerCalls, 2),
    ),
    row('raw SDK, same calls and concurrency', spread(rawRates), fixed(sum(raw.calls) / TASKS, 2), ''),
    pythonRow(python, `Python Celery worker (threads, ${CONCURRENCY})`, pythonRate),
    pythonRow(prefork, `Python Celery worker (prefork, ${cpus().length})`, preforkRate),
    row('ratio celeriac / raw SDK', fixed(celeriacRate / rawRate, 2)),
    row('ratio celeriac / Python Celery threads', fixed(celeriacRate / pythonRate, 2)),
    row('ratio celeriac / Python Celery prefork', fixed(celeriacRate / preforkRate, 2)),
    '  calls per task by operation:',
    `    celeriac worker: ${perTask(celeriac.workerCalls, TASKS)}`,
    `    celeriac producer (sendTasks): ${perTask(celeriac.producerCalls, TASKS)}`,
    `    raw SDK: ${perTask(raw.calls, TASKS)}`,
    ...(typeof python === 'string'
      ? []
      : [
          `    Python worker: ${perTask(python.workerCalls, TASKS)}`,
          `    Python producer (apply_async): ${perTask(python.producerCalls, TASKS)}`,
        ]),
    `  sending ${TASKS} tasks: celeriac sendTasks ${spread(celeriacRuns.map((run) => rate(TASKS, run.sendMs)))}/s` +
      (typeof python === 'string' ? '' : `, Python apply_async loop ${fixed(TASKS / python.sendSeconds)}/s`),
    '',
    `2. Core CPU per task, in-memory transport (median of ${cpu.rounds} rounds x ${cpu.messagesPerRound} messages)`,
    row('', 'us/task'),
    row('executeMessage (decode, claim, run, store)', fixed(cpu.coreMicros)),
    row('baseline: decode message + encode result', fixed(cpu.baselineMicros)),
    row('ratio core / baseline', fixed(cpu.coreMicros / cpu.baselineMicros, 2)),
    row('core alone, wall clock, tasks/s', fixed(cpu.coreTasksPerSecond, 0)),
    '',
    ...cpuSection(emulators, celeriacRuns, rawRuns, {
      celeriacWorkerCalls,
      rawCalls: sum(raw.calls) / TASKS,
      pythonRate,
      celeriacRate,
    }),
    '',
    `bench took ${fixed((performance.now() - benchStarted) / 1000)} s`,
  ];
  console.log(lines.join('\n'));
}

await main();
