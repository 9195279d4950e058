/**
 * The fast emulator pair the benchmarks run on: ElasticMQ (SQS) and dynalite (DynamoDB), each a child process on
 * a free loopback port. moto, the functional tests' emulator, spends about 10 ms per SQS message, so on it every
 * rate is moto's; on this pair a raw-SDK drain reaches about 1,200 tasks/s on two cores, so the software shows.
 *
 * - ElasticMQ is fetched from Maven Central once (`mvn dependency:copy-dependencies` on a one-dependency pom) into
 *   `.cache/elasticmq-<version>/lib` and run with the machine's Java (17 or later).
 * - dynalite is a dev dependency, run in memory by Node.
 *
 * Known gaps, both harmless to the benchmarks: dynalite answers `UpdateTimeToLive` with
 * `UnknownOperationException` (celeriac's `ensureResultTable` treats TTL as optional) and returns no item for
 * `ReturnValuesOnConditionCheckFailure`.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  freePort,
  repoRoot,
  startMotoServer,
  stopProcess,
  waitForHttp,
} from '../test/emulator/moto-server.js';
import type { WatchedProcess } from './process-cpu.js';

/** The ElasticMQ release the benchmarks use (`org.elasticmq:elasticmq-server_2.13`). */
export const ELASTICMQ_VERSION = '1.7.1';

/** Both emulators, running. */
export interface FastEmulators {
  /** ElasticMQ's SQS endpoint. */
  readonly sqsEndpoint: string;
  /** dynalite's DynamoDB endpoint. */
  readonly dynamodbEndpoint: string;
  /** Versions, for the report. */
  readonly versions: { readonly elasticmq: string; readonly dynalite: string };
  /** The emulators' processes, whose CPU time the benchmarks account for. */
  readonly processes: readonly WatchedProcess[];
  /** Stops both and waits for them to exit. */
  stop(): Promise<void>;
}

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>celeriac.bench</groupId>
  <artifactId>elasticmq-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.elasticmq</groupId>
      <artifactId>elasticmq-server_2.13</artifactId>
      <version>${ELASTICMQ_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;

/**
 * Fetches ElasticMQ's jars into the cache the first time; returns the directory that holds them. Each fetch
 * works in a directory of its own and moves the finished `lib` into place in one rename, so benchmarks started
 * together (the test run's bench files) never see a half-copied `lib`: the first rename wins, and the others
 * find its `lib` there.
 */
export async function ensureElasticMq(): Promise<string> {
  const home = path.join(repoRoot, '.cache', `elasticmq-${ELASTICMQ_VERSION}`);
  const lib = path.join(home, 'lib');
  const ready = (): boolean =>
    existsSync(lib) && readdirSync(lib).some((file) => file.startsWith('elasticmq-server'));
  if (ready()) return lib;
  mkdirSync(home, { recursive: true });
  const staging = mkdtempSync(path.join(home, 'fetch-'));
  process.stderr.write(`bench: fetching ElasticMQ ${ELASTICMQ_VERSION} from Maven Central into ${lib}\n`);
  try {
    writeFileSync(path.join(staging, 'pom.xml'), POM);
    try {
      await promisify(execFile)(
        'mvn',
        ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=lib'],
        {
          cwd: staging,
        },
      );
    } catch (error) {
      throw new Error(
        `Could not fetch ElasticMQ with Maven (mvn in ${staging}); the benchmarks need Maven and Java 17 or later`,
        { cause: error },
      );
    }
    try {
      renameSync(path.join(staging, 'lib'), lib);
    } catch (error) {
      // Another fetch moved its lib into place first.
      if (!ready()) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return lib;
}

function pipeErrors(child: ChildProcess, label: string, lines: string[]): void {
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 20));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', (code, signal) => {
    // 143: the JVM's exit on SIGTERM.
    if (code !== 0 && code !== 143 && signal === null)
      process.stderr.write(`bench: ${label} exited ${code}:\n${lines.join('\n')}\n`);
  });
}

async function startElasticMq(): Promise<{ endpoint: string; child: ChildProcess }> {
  const lib = await ensureElasticMq();
  const port = await freePort();
  const home = path.dirname(lib);
  const config = path.join(home, `bench-${port}.conf`);
  writeFileSync(
    config,
    [
      'include classpath("application.conf")',
      `node-address { protocol = http, host = "127.0.0.1", port = ${port}, context-path = "" }`,
      `rest-sqs { enabled = true, bind-port = ${port}, bind-hostname = "127.0.0.1", sqs-limits = strict }`,
      'rest-stats { enabled = false }',
      '',
    ].join('\n'),
  );
  const child = spawn('java', [`-Dconfig.file=${config}`, '-cp', `${lib}/*`, 'org.elasticmq.server.Main'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pipeErrors(child, 'ElasticMQ', []);
  const endpoint = `http://127.0.0.1:${port}`;
  await answering(endpoint, 60_000, child);
  return { endpoint, child };
}

async function startDynalite(): Promise<{ endpoint: string; child: ChildProcess }> {
  const port = await freePort();
  const cli = path.join(repoRoot, 'node_modules', 'dynalite', 'cli.js');
  // Tables become ACTIVE at once: the benchmarks create fresh ones per round.
  const child = spawn(
    process.execPath,
    [cli, '--host', '127.0.0.1', '--port', String(port), '--createTableMs', '0', '--deleteTableMs', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  pipeErrors(child, 'dynalite', []);
  const endpoint = `http://127.0.0.1:${port}`;
  await answering(endpoint, 30_000, child);
  return { endpoint, child };
}

/** Waits for `child` to answer on `endpoint`; stops it when it does not. */
async function answering(endpoint: string, timeoutMs: number, child: ChildProcess): Promise<void> {
  try {
    await waitForHttp(endpoint, timeoutMs, child);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
}

/**
 * Starts ElasticMQ and dynalite on loopback (fetching ElasticMQ the first time). When one cannot start, the
 * other is stopped before the error is thrown, so no emulator outlives a failed benchmark.
 */
export async function startFastEmulators(): Promise<FastEmulators> {
  const [sqsStart, dynamodbStart] = await Promise.allSettled([startElasticMq(), startDynalite()]);
  if (sqsStart.status === 'rejected' || dynamodbStart.status === 'rejected') {
    for (const start of [sqsStart, dynamodbStart]) {
      if (start.status === 'fulfilled') await stopProcess(start.value.child);
    }
    throw sqsStart.status === 'rejected' ? sqsStart.reason : (dynamodbStart as PromiseRejectedResult).reason;
  }
  const sqs = sqsStart.value;
  const dynamodb = dynamodbStart.value;
  const { version: dynalite } = (await import('dynalite/package.json', { with: { type: 'json' } }))
    .default as {
    version: string;
  };
  return {
    sqsEndpoint: sqs.endpoint,
    dynamodbEndpoint: dynamodb.endpoint,
    versions: { elasticmq: ELASTICMQ_VERSION, dynalite },
    processes: [
      ...(sqs.child.pid === undefined ? [] : [{ name: 'ElasticMQ', pid: sqs.child.pid }]),
      ...(dynamodb.child.pid === undefined ? [] : [{ name: 'dynalite', pid: dynamodb.child.pid }]),
    ],
    async stop() {
      await Promise.all([stopProcess(sqs.child), stopProcess(dynamodb.child)]);
    },
  };
}

/** Which emulators a benchmark runs on: the fast pair (default) or moto, the functional tests' emulator. */
export type BenchEmulator = 'fast' | 'moto';

/** A benchmark's emulators, whichever kind. */
export interface BenchEndpoints {
  readonly sqsEndpoint: string;
  readonly dynamodbEndpoint: string;
  /** What ran, for the report: `ElasticMQ 1.7.1 + dynalite 4.0.0` or `moto`. */
  readonly label: string;
  /** The emulators' processes (none for moto, which the test harness runs). */
  readonly processes: readonly WatchedProcess[];
  stop(): Promise<void>;
}

/**
 * The environment every benchmark runs in, and passes to the workers it starts: credentials the emulators accept,
 * one region for the SDK and boto3, and no warning from the pinned SDK that its releases after January 2027 need
 * Node 22.
 */
export const BENCH_ENV = {
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const;

/**
 * Sets {@link BENCH_ENV} on this process, and drops a session token or profile from the shell, which would go
 * with the fake credentials (a session token) or name a profile the emulators know nothing of.
 */
export function useBenchEnv(): void {
  Object.assign(process.env, BENCH_ENV);
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}

/** Reads `BENCH_EMULATOR` (`fast`, the default, or `moto`). */
export function benchEmulatorSetting(): BenchEmulator {
  const value = process.env.BENCH_EMULATOR || 'fast';
  if (value !== 'fast' && value !== 'moto') {
    throw new Error(`Expected BENCH_EMULATOR to be "fast" or "moto", got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Starts the benchmark's emulators and points the process's SDK clients (and the Python fixture app) at them
 * through `AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL` and
 * `CELERIAC_TEST_DYNAMODB_ENDPOINT`.
 */
export async function startBenchEmulators(kind: BenchEmulator): Promise<BenchEndpoints> {
  let endpoints: BenchEndpoints;
  if (kind === 'moto') {
    const moto = await startMotoServer();
    endpoints = {
      sqsEndpoint: moto.endpoint,
      dynamodbEndpoint: moto.endpoint,
      label: 'moto',
      processes: [],
      stop: moto.stop,
    };
  } else {
    const fast = await startFastEmulators();
    endpoints = {
      ...fast,
      label: `ElasticMQ ${fast.versions.elasticmq} + dynalite ${fast.versions.dynalite}`,
    };
  }
  process.env.AWS_ENDPOINT_URL = endpoints.sqsEndpoint;
  process.env.AWS_ENDPOINT_URL_SQS = endpoints.sqsEndpoint;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoints.dynamodbEndpoint;
  process.env.CELERIAC_TEST_DYNAMODB_ENDPOINT = endpoints.dynamodbEndpoint;
  return endpoints;
}
