/**
 * `npx tsx bench/workflows.ts`: workflows on an emulator, celeriac against Python Celery measured in the same
 * run on the same moto server: a group of N, a chord of N and a chain of M `add` tasks, each sent by a producer
 * and run to completion by a worker at the same concurrency (celeriac: `runWorker` in-process; Python: a
 * `celery worker` with the threads pool, its producer a `python -c` in the fixture app). For each: wall time
 * from the send to the result read back, and AWS requests per member (producer and worker, every operation,
 * counted at the SDK middleware for celeriac and at botocore for Python), with the ratio celeriac / Python.
 *
 * Settings (environment): BENCH_WORKFLOW_SIZE (1000, the group and chord size), BENCH_CHAIN_LENGTH (100),
 * BENCH_CONCURRENCY (10). Needs the project venv (`bash scripts/python-env.sh`).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createAwsClients } from '../src/aws/clients.js';
import { ensureResultTable } from '../src/aws/index.js';
import { type Canvas, chain, chord, group } from '../src/canvas/index.js';
import { resolveConfig } from '../src/config/resolve-config.js';
import { createApp, createAwsTransport } from '../src/index.js';
import { runWorker } from '../src/worker/run-worker.js';
import { startMotoServer } from '../test/emulator/moto-server.js';
import { runPython, startPythonWorker } from '../test/interop/helpers/python-celery.js';
import { AwsCallCounter } from './aws-call-counter.js';
import { useBenchEnv } from './fast-emulators.js';

function intSetting(name: string, fallback: number): number {
  const text = process.env[name];
  const value = text === undefined || text === '' ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`Expected ${name} to be a whole number >= 1, got ${JSON.stringify(text)}`);
  }
  return value;
}

const SIZE = intSetting('BENCH_WORKFLOW_SIZE', 1000);
const CHAIN = intSetting('BENCH_CHAIN_LENGTH', 100);
const CONCURRENCY = intSetting('BENCH_CONCURRENCY', 10);
const TIMEOUT_MS = 600_000;

type Form = 'group' | 'chord' | 'chain';
interface Measured {
  readonly ms: number;
  readonly calls: number;
}

const members = (form: Form): number => (form === 'chain' ? CHAIN : SIZE);

/** The Python code of each workflow, and the value its result must have. */
const PYTHON: Record<Form, string> = {
  group: `r = group(tasks.add.s(i, i) for i in range(${SIZE})).apply_async(); v = r.get(timeout=600)[-1]`,
  chord: `r = chord([tasks.add.s(i, i) for i in range(${SIZE})], tasks.tsum.s()).apply_async(); v = r.get(timeout=600)`,
  chain: `r = chain(tasks.add.s(0, 1), *[tasks.add.s(1) for _ in range(${CHAIN - 1})]).apply_async(); v = r.get(timeout=600)`,
};
const EXPECTED: Record<Form, number> = {
  group: 2 * (SIZE - 1),
  chord: SIZE * (SIZE - 1),
  chain: CHAIN,
};

async function createQueue(endpoint: string, name: string): Promise<void> {
  await new SQSClient({ endpoint, region: 'us-east-1' }).send(
    new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '60' } }),
  );
}

async function measureCeleriac(endpoint: string, form: Form): Promise<Measured> {
  const queuePrefix = `bench-wf-ts-${form}-${Date.now()}-`;
  const resultTable = `bench-wf-ts-${form}-${Date.now()}`;
  await createQueue(endpoint, `${queuePrefix}celery`);
  await ensureResultTable(new DynamoDBClient({ endpoint, region: 'us-east-1' }), resultTable);
  const settings = { queueNamePrefix: queuePrefix, resultTable, endpoint, region: 'us-east-1', env: {} };
  const config = resolveConfig(settings);
  const clients = createAwsClients(config);
  const counter = new AwsCallCounter().watch(clients.sqs).watch(clients.dynamodb);
  const app = createApp({ ...settings, transport: createAwsTransport(config, clients) });
  const add = app.task('tasks.add', (a: number, b: number) => a + b);
  const tsum = app.task('tasks.tsum', (numbers: number[]) => numbers.reduce((x, y) => x + y, 0));
  const worker = runWorker(app, {
    concurrency: CONCURRENCY,
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: 60,
    log: () => undefined,
  });
  try {
    const started = performance.now();
    let value: unknown;
    const get = { timeoutMs: TIMEOUT_MS, intervalMs: 50, maxIntervalMs: 500 };
    if (form === 'group') {
      const result = await group(...Array.from({ length: SIZE }, (_, i) => add.s(i, i))).applyAsync();
      value = (await result.get(get)).at(-1);
    } else if (form === 'chord') {
      const header = Array.from({ length: SIZE }, (_, i) => add.s(i, i));
      value = await (await chord(header, tsum.s()).applyAsync()).get(get);
    } else {
      const steps = [add.s(0, 1), ...Array.from({ length: CHAIN - 1 }, () => add.s(1))] as Canvas[];
      value = await (await chain(...(steps as [Canvas])).applyAsync()).get(get);
    }
    const ms = performance.now() - started;
    if (value !== EXPECTED[form]) throw new Error(`celeriac ${form}: got ${String(value)}`);
    return { ms, calls: counter.total() };
  } finally {
    await worker.stop();
    await worker.stopped;
  }
}

async function countCalls(file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.trim().length > 0).length;
}

async function measurePython(form: Form): Promise<Measured> {
  const queuePrefix = `bench-wf-py-${form}-${Date.now()}-`;
  const resultTable = `bench-wf-py-${form}-${Date.now()}`;
  const dir = await mkdtemp(path.join(tmpdir(), 'celeriac-bench-wf-'));
  const producerFile = path.join(dir, 'producer.jsonl');
  const workerFile = path.join(dir, 'worker.jsonl');
  const worker = await startPythonWorker({
    queuePrefix,
    resultTable,
    concurrency: CONCURRENCY,
    env: { CELERIAC_RECORD_CALLS: workerFile },
  });
  try {
    const out = await runPython<{ seconds: number; value: number }>(
      [
        'import json, time',
        'from celery import chain, chord, group',
        'from celeriac_fixtures import tasks',
        't0 = time.perf_counter()',
        PYTHON[form],
        'print(json.dumps({"seconds": time.perf_counter() - t0, "value": v}))',
      ].join('\n'),
      { queuePrefix, resultTable, timeoutMs: TIMEOUT_MS, env: { CELERIAC_RECORD_CALLS: producerFile } },
    );
    if (out.value !== EXPECTED[form]) throw new Error(`Python ${form}: got ${out.value}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    return {
      ms: out.seconds * 1000,
      calls: (await countCalls(producerFile)) + (await countCalls(workerFile)),
    };
  } finally {
    await worker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const moto = await startMotoServer();
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
  useBenchEnv();
  const fixed = (value: number, digits = 2): string => value.toFixed(digits);
  try {
    console.log(
      `workflows on moto, concurrency ${CONCURRENCY}: group and chord of ${SIZE}, chain of ${CHAIN}; ` +
        'requests counted for producer and worker together (Python counts include its polling)',
    );
    console.log(
      'form    members  celeriac ms  python ms  time ratio  celeriac req/member  python req/member  ratio',
    );
    for (const form of ['group', 'chord', 'chain'] as const) {
      const ts = await measureCeleriac(moto.endpoint, form);
      const py = await measurePython(form);
      const n = members(form);
      console.log(
        [
          form.padEnd(7),
          String(n).padStart(7),
          fixed(ts.ms, 0).padStart(12),
          fixed(py.ms, 0).padStart(10),
          fixed(ts.ms / py.ms).padStart(11),
          fixed(ts.calls / n).padStart(20),
          fixed(py.calls / n).padStart(18),
          fixed(ts.calls / py.calls).padStart(6),
        ].join(' '),
      );
    }
  } finally {
    await moto.stop();
  }
}

await main();
