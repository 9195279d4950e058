/**
 * `npm run bench:scale`: how drain throughput scales, celeriac beside Python Celery, on the fast emulator pair
 * (ElasticMQ + dynalite; `BENCH_EMULATOR=moto` for moto). Four sweeps, each point a fresh queue drained from a
 * full backlog, with results stored:
 *
 * - **concurrency** 1 → 100 in one worker process (celeriac `runWorker` in-process; `celery worker --pool=threads`);
 * - **worker processes** 1 → 4 at concurrency 10 each (`celeriac worker` processes; `celery worker` processes);
 * - **queue depth**: backlogs of 1,000 up to 100,000 (`BENCH_SCALE_DEPTHS`), one worker at concurrency 10;
 * - **queues** 1 → 8, the backlog spread evenly, one worker at concurrency 10 consuming all of them.
 *
 * Both sides drain the same messages: celeriac's `sendTasks` queues Celery protocol-2 `tasks.add` messages, which
 * the Python fixture app runs as its own. A drain's time runs from the workers being ready to the last task
 * stored: celeriac counts outcomes (in-process) or waits for the queues to be empty (processes: a message is
 * deleted after its result is stored); Python counts its "succeeded" log lines (it deletes a message before
 * running it). Prints a table and writes the curves as an SVG chart (`BENCH_SCALE_SVG`, default
 * docs/images/scale-curve.svg), with the machine's load average.
 *
 * Settings: BENCH_SCALE_TASKS (500 per point), BENCH_SCALE_CONCURRENCY (1,10,25,50,100), BENCH_SCALE_PROCESSES
 * (1,2,4), BENCH_SCALE_DEPTHS (1000,10000), BENCH_SCALE_QUEUES (1,2,4,8), BENCH_SCALE_PYTHON (1; 0 skips Python).
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createAwsClients } from '../src/aws/clients.js';
import { ensureResultTable } from '../src/aws/index.js';
import { resolveConfig } from '../src/config/resolve-config.js';
import { createApp, createAwsTransport } from '../src/index.js';
import { runWorker } from '../src/worker/run-worker.js';
import { repoRoot } from '../test/emulator/moto-server.js';
import { startCli } from '../test/helpers/cli-process.js';
import { type PythonWorker, startPythonWorker } from '../test/interop/helpers/python-celery.js';
import { benchEmulatorSetting, startBenchEmulators, useBenchEnv } from './fast-emulators.js';
import { type ChartPanel, svgChart } from './svg-chart.js';

function listSetting(name: string, fallback: readonly number[]): number[] {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return [...fallback];
  const values = text.split(',').map((part) => Number(part.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(
      `Expected ${name} to be whole numbers >= 1 separated by commas, got ${JSON.stringify(text)}`,
    );
  }
  return values;
}

const [TASKS = 500] = listSetting('BENCH_SCALE_TASKS', [500]);
const CONCURRENCY = listSetting('BENCH_SCALE_CONCURRENCY', [1, 10, 25, 50, 100]);
const PROCESSES = listSetting('BENCH_SCALE_PROCESSES', [1, 2, 4]);
const DEPTHS = listSetting('BENCH_SCALE_DEPTHS', [1000, 10_000]);
const QUEUES = listSetting('BENCH_SCALE_QUEUES', [1, 2, 4, 8]);
const PYTHON = process.env.BENCH_SCALE_PYTHON !== '0';
const SVG = process.env.BENCH_SCALE_SVG || path.join(repoRoot, 'docs/images/scale-curve.svg');
const TIMEOUT_MS = 15 * 60_000;

let counter = 0;
const unique = (what: string) => `scale-${process.pid}-${++counter}-${what}`;

interface Setup {
  readonly sqs: SQSClient;
  readonly table: string;
}

/** Creates `count` queues named `<prefix><name>` for Celery queue names q1..qn (`celery` when one). */
async function createQueues(sqs: SQSClient, prefix: string, count: number): Promise<Record<string, string>> {
  const names = count === 1 ? ['celery'] : Array.from({ length: count }, (_, i) => `q${i + 1}`);
  const urls: Record<string, string> = {};
  for (const name of names) {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: `${prefix}${name}`, Attributes: { VisibilityTimeout: '120' } }),
    );
    if (!QueueUrl) throw new Error(`could not create ${prefix}${name}`);
    urls[name] = QueueUrl;
  }
  return urls;
}

/** Queues `tasks` `tasks.add` messages spread evenly over the queues, with celeriac's `sendTasks`. */
async function fill(setup: Setup, queueUrls: Record<string, string>, tasks: number): Promise<void> {
  const app = createApp({ queueUrls, resultTable: setup.table, region: 'us-east-1' });
  const names = Object.keys(queueUrls);
  for (let start = 0; start < tasks; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, tasks - start) }, (_, j) => {
      const i = start + j;
      return { name: 'tasks.add', args: [i, 1] as unknown[], options: { queue: names[i % names.length] } };
    });
    await app.sendTasks(batch);
  }
}

async function queuesEmpty(sqs: SQSClient, urls: readonly string[]): Promise<boolean> {
  for (const url of urls) {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    if (
      Number(Attributes.ApproximateNumberOfMessages) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible) >
      0
    )
      return false;
  }
  return true;
}

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** celeriac in-process: `runWorker` at `concurrency` over the queues; tasks/s. */
async function celeriacInProcess(setup: Setup, queues: number, tasks: number, concurrency: number) {
  const queueUrls = await createQueues(setup.sqs, unique('ts-'), queues);
  await fill(setup, queueUrls, tasks);
  const settings = { queueUrls, resultTable: setup.table, region: 'us-east-1' };
  const config = resolveConfig(settings);
  const app = createApp({ ...settings, transport: createAwsTransport(config, createAwsClients(config)) });
  app.task('tasks.add', (a: number, b: number) => a + b);
  let finished = 0;
  let failed = 0;
  const started = performance.now();
  const worker = runWorker(app, {
    concurrency,
    queues: Object.keys(queueUrls),
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: 120,
    log: () => undefined,
    onOutcome: (outcome) => {
      finished++;
      if (outcome.state !== 'SUCCESS') failed++;
    },
  });
  await until(`celeriac to drain ${tasks} tasks`, () => finished >= tasks);
  const ms = performance.now() - started;
  await worker.stop();
  await worker.stopped;
  if (failed > 0) throw new Error(`${failed} celeriac tasks did not succeed`);
  return (tasks / ms) * 1000;
}

/** celeriac worker processes at concurrency 10 each; tasks/s from the first one ready to empty queues. */
async function celeriacProcesses(setup: Setup, processes: number, tasks: number) {
  const queueUrls = await createQueues(setup.sqs, unique('tsp-'), 1);
  await fill(setup, queueUrls, tasks);
  const env = {
    CELERIAC_QUEUE_URLS: JSON.stringify(queueUrls),
    CELERIAC_RESULT_TABLE: setup.table,
    AWS_REGION: 'us-east-1',
  };
  const workers = Array.from({ length: processes }, () =>
    startCli(['worker', '--app', 'bench/scale-app.ts', '-c', '10', '--wait-time', '1'], env),
  );
  try {
    await Promise.race(workers.map((w) => w.waitFor(/consuming celery/, 60_000)));
    const started = performance.now();
    await until('the celeriac processes to drain the queue', () =>
      queuesEmpty(setup.sqs, Object.values(queueUrls)),
    );
    return (tasks / (performance.now() - started)) * 1000;
  } finally {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
  }
}

/** Python Celery: `processes` thread-pool workers at `concurrency`; tasks/s from the first ready to the last success. */
async function python(setup: Setup, queues: number, tasks: number, concurrency: number, processes = 1) {
  const prefix = unique('py-');
  const queueUrls = await createQueues(setup.sqs, prefix, queues);
  await fill(setup, queueUrls, tasks);
  const workers: PythonWorker[] = [];
  const succeeded = new Set<string>();
  const pattern = /Task tasks\.add\[([^\]]+)\] succeeded/g;
  try {
    // As for celeriac's processes, the clock starts when the first worker is ready (it drains from then on).
    let started = 0;
    for (let i = 0; i < processes; i++) {
      workers.push(
        await startPythonWorker({
          queuePrefix: prefix,
          resultTable: setup.table,
          queues: Object.keys(queueUrls),
          concurrency,
          pool: concurrency > 1 ? 'threads' : 'solo',
          readyTimeoutMs: 60_000,
        }),
      );
      if (i === 0) started = performance.now();
    }
    await until(`Python to drain ${tasks} tasks`, () => {
      for (const w of workers) for (const m of w.logs().matchAll(pattern)) if (m[1]) succeeded.add(m[1]);
      return succeeded.size >= tasks;
    });
    return (tasks / (performance.now() - started)) * 1000;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

const fixed = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '-');

async function main(): Promise<void> {
  useBenchEnv();
  const loadBefore = loadavg();
  const emulators = await startBenchEmulators(benchEmulatorSetting());
  const panels: ChartPanel[] = [];
  const lines: string[] = [];
  try {
    const sqs = new SQSClient({
      endpoint: emulators.sqsEndpoint,
      region: 'us-east-1',
      useQueueUrlAsEndpoint: false,
    });
    const table = unique('results');
    await ensureResultTable(createAwsClients({ endpoint: emulators.dynamodbEndpoint }).dynamodb, table);
    const setup = { sqs, table };
    const sweep = async (
      title: string,
      xLabel: string,
      points: readonly number[],
      ts: (n: number) => Promise<number>,
      py: (n: number) => Promise<number>,
    ) => {
      const celeriac: number[] = [];
      const celery: number[] = [];
      for (const n of points) {
        celeriac.push(await ts(n));
        celery.push(PYTHON ? await py(n) : Number.NaN);
        const i = celeriac.length - 1;
        const ratio = (celeriac[i] ?? Number.NaN) / (celery[i] ?? Number.NaN);
        const line = `  ${title.padEnd(18)} ${String(n).padStart(7)} | ${fixed(celeriac[i] ?? Number.NaN).padStart(8)} | ${fixed(celery[i] ?? Number.NaN).padStart(8)} | ${Number.isFinite(ratio) ? ratio.toFixed(1) : '-'}`;
        lines.push(line);
        console.error(line);
      }
      panels.push({
        title,
        xLabel,
        x: points.map(String),
        series: [
          { name: 'celeriac', values: celeriac },
          { name: 'Python Celery (threads)', values: celery },
        ],
      });
    };
    await sweep(
      'concurrency',
      'tasks at once, one process',
      CONCURRENCY,
      (c) => celeriacInProcess(setup, 1, TASKS, c),
      (c) => python(setup, 1, TASKS, c),
    );
    await sweep(
      'worker processes',
      'processes, 10 tasks at once each',
      PROCESSES,
      (p) => celeriacProcesses(setup, p, TASKS * p),
      (p) => python(setup, 1, TASKS * p, 10, p),
    );
    await sweep(
      'queue depth',
      'backlog drained, concurrency 10',
      DEPTHS,
      (d) => celeriacInProcess(setup, 1, d, 10),
      (d) => python(setup, 1, d, 10),
    );
    await sweep(
      'queues',
      'queues consumed, concurrency 10',
      QUEUES,
      (q) => celeriacInProcess(setup, q, TASKS, 10),
      (q) => python(setup, q, TASKS, 10),
    );
    sqs.destroy();
  } finally {
    await emulators.stop();
  }
  const loadAfter = loadavg();
  const machine = `${cpus().length} cores, load average ${loadBefore[0]?.toFixed(1)} before, ${loadAfter[0]?.toFixed(1)} after`;
  writeFileSync(SVG, svgChart(panels, `tasks/s drained with results stored, ${emulators.label}; ${machine}`));
  console.log(`Scale curves on ${emulators.label} (${machine}), tasks/s:\n`);
  console.log(`  ${'sweep'.padEnd(18)} ${'point'.padStart(7)} | celeriac |   Python | ratio`);
  console.log(lines.join('\n'));
  console.log(`\nChart: ${path.relative(process.cwd(), SVG)}`);
}

await main();
