/**
 * Runs real Python Celery (the project venv's celery 5.6 + kombu 5.6) against the emulator the vitest global
 * setup started, for interop tests: a worker subprocess that consumes from SQS and writes DynamoDB results,
 * and short Python producer/reader snippets whose stdout is JSON.
 *
 * Both use the fixture app `python/fixtures/celeriac_fixtures` (tasks `tasks.add`, `tasks.echo`,
 * `tasks.boom`, `tasks.decline`, `tasks.tsum`, `tasks.flaky`, `tasks.progress`, `tasks.sleep`), configured
 * through environment variables: give every test file its own `queuePrefix` and `resultTable`
 * (`uniqueName(...)`) so files running in parallel never see each other's messages or results.
 *
 * Failures are loud: a worker that exits before it is ready, or dies before `stop()`, and a snippet that exits
 * non-zero or prints something that is not JSON, throw with the process's output.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, stopProcess, venvBin } from '../../emulator/moto-server.js';

/** Where the fixture app lives; put on `PYTHONPATH` for every Python process. */
export const fixturesDir = path.join(repoRoot, 'python', 'fixtures');

/**
 * `PYTHONPATH` of a mixed fleet's Python side: the fixture apps (`python/fixtures` and `test/interop/fixtures`)
 * and the packages `celeriac_celery` and `celeriac_events` from `python/`, used in place rather than installed.
 */
export const mixedFleetPythonPath = [
  fixturesDir,
  path.join(repoRoot, 'test', 'interop', 'fixtures'),
  path.join(repoRoot, 'python', 'celeriac_celery'),
  path.join(repoRoot, 'python', 'celeriac_events'),
].join(path.delimiter);

/** Settings shared by the worker and snippets: which emulator, queues and result table the fixture app uses. */
export interface PythonCeleryEnv {
  /** kombu `queue_name_prefix`, e.g. `interop-1a2b3c4d-`: Celery queue `celery` becomes SQS queue `<prefix>celery`. */
  readonly queuePrefix?: string;
  /** DynamoDB table of Celery's result backend; Celery creates it when missing. */
  readonly resultTable?: string;
  /** Extra environment, e.g. `{ CELERIAC_TEST_RESULT_EXTENDED: '1', CELERIAC_TEST_TRACK_STARTED: '1' }`. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Options of {@link startPythonWorker}. */
export interface PythonWorkerOptions extends PythonCeleryEnv {
  readonly queuePrefix: string;
  readonly resultTable: string;
  /** Celery queue names to consume (`-Q`); default Celery's `celery`. */
  readonly queues?: readonly string[];
  /** Tasks run at once; 1 (default) uses the solo pool, more use the threads pool (unless `pool` says). */
  readonly concurrency?: number;
  /** Celery's execution pool (`--pool`); default solo for concurrency 1, threads above. */
  readonly pool?: 'solo' | 'threads' | 'prefork';
  /** How long to wait for the worker to report that it is consuming; default 30 s. */
  readonly readyTimeoutMs?: number;
  /** The Celery app module (`-A`) on `PYTHONPATH`; default the fixture app `celeriac_fixtures`. */
  readonly app?: string;
}

/** A running `celery worker` subprocess. */
export interface PythonWorker {
  /** The worker's process id. */
  readonly pid: number;
  /** Warm shutdown (SIGTERM, Celery finishes running tasks) and wait; throws if the worker had died or failed. */
  stop(): Promise<void>;
  /** Everything the worker printed so far (stdout and stderr interleaved, last 256 KiB). */
  logs(): string;
}

/** Options of {@link runPython}. */
export interface RunPythonOptions extends PythonCeleryEnv {
  /** Kill the process and throw after this long; default 30 s. */
  readonly timeoutMs?: number;
  /** Arguments after the script (ignored for inline code). */
  readonly args?: readonly string[];
}

const maxLogChars = 256 * 1024;
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills any Python process still running when the test worker exits, so none outlives the run. */
function trackChild(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const proc of running) proc.kill('SIGKILL');
    });
  }
}

/** The environment every fixture-app process gets. */
export function pythonCeleryEnv(options: PythonCeleryEnv = {}): NodeJS.ProcessEnv {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint) {
    throw new Error(
      'AWS_ENDPOINT_URL is not set: Python Celery helpers need the emulator that the vitest global setup starts ' +
        '(run the test in the `integration` project: test/interop/**/*.test.ts)',
    );
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONPATH: fixturesDir,
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    CELERIAC_TEST_ENDPOINT: endpoint,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'testing',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'testing',
    AWS_DEFAULT_REGION: 'us-east-1',
  };
  if (options.queuePrefix !== undefined) env.CELERIAC_TEST_QUEUE_PREFIX = options.queuePrefix;
  if (options.resultTable !== undefined) env.CELERIAC_TEST_RESULT_TABLE = options.resultTable;
  return { ...env, ...options.env };
}

function pythonBin(): string {
  const bin = venvBin('python');
  if (!existsSync(bin)) {
    throw new Error(`Python venv not found at ${bin}; run \`bash scripts/python-env.sh\``);
  }
  return bin;
}

/**
 * Starts `celery -A celeriac_fixtures worker` and resolves once it logs that it is ready (consuming).
 *
 * @example
 * const worker = await startPythonWorker({ queuePrefix: `${uniqueName('interop')}-`, resultTable: uniqueName('results') });
 * try { ... } finally { await worker.stop(); }
 */
export async function startPythonWorker(options: PythonWorkerOptions): Promise<PythonWorker> {
  const concurrency = options.concurrency ?? 1;
  const queues = options.queues ?? ['celery'];
  const args = [
    '-m',
    'celery',
    '-A',
    options.app ?? 'celeriac_fixtures',
    'worker',
    `--pool=${options.pool ?? (concurrency > 1 ? 'threads' : 'solo')}`,
    `--concurrency=${concurrency}`,
    `--queues=${queues.join(',')}`,
    `--hostname=interop-${process.pid}-${Date.now()}@%h`,
    '--without-heartbeat',
    '--without-mingle',
    '--without-gossip',
    '--loglevel=INFO',
  ];
  const child = spawn(pythonBin(), args, {
    cwd: repoRoot,
    env: pythonCeleryEnv(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the Python Celery worker');

  // Whole lines only, per stream: a prefork worker's processes write concurrently, and a line split across
  // chunks must not be interleaved with the other stream's.
  let output = '';
  const partials = { stdout: '', stderr: '' };
  const appender = (stream: keyof typeof partials) => (chunk: Buffer) => {
    const text = partials[stream] + chunk.toString('utf8');
    const end = text.lastIndexOf('\n') + 1;
    partials[stream] = text.slice(end);
    if (end > 0) output = (output + text.slice(0, end)).slice(-maxLogChars);
  };
  child.stdout?.on('data', appender('stdout'));
  child.stderr?.on('data', appender('stderr'));

  let stopping = false;
  let unexpectedExit: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      if (!stopping) unexpectedExit = `exited with code ${code} (signal ${signal})`;
      resolve();
    });
  });

  // Celery logs "<hostname> ready." once the consumer is started, i.e. it is polling its queues.
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + readyTimeoutMs;
  while (!/ ready\.\s*$/m.test(output)) {
    if (unexpectedExit !== undefined) {
      throw new Error(`Python Celery worker ${unexpectedExit} before it was ready:\n${output}`);
    }
    if (Date.now() > deadline) {
      await stopProcess(child, 5000);
      throw new Error(`Python Celery worker was not ready within ${readyTimeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    pid,
    logs: () => output + partials.stdout + partials.stderr,
    async stop(): Promise<void> {
      if (unexpectedExit !== undefined) {
        throw new Error(`Python Celery worker ${unexpectedExit} while the test ran:\n${output}`);
      }
      stopping = true;
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(killTimer);
      if (child.signalCode === 'SIGKILL') {
        throw new Error(`Python Celery worker ignored SIGTERM for 20 s and was killed:\n${output}`);
      }
      if (child.exitCode !== 0 && child.exitCode !== null) {
        throw new Error(`Python Celery worker exited with code ${child.exitCode} on shutdown:\n${output}`);
      }
    },
  };
}

/**
 * Runs a short Python program with the fixture app importable and returns its stdout parsed as JSON.
 *
 * `codeOrScript` is either a path to an existing `.py` file (relative paths are from the repository root) or
 * Python source. The program should print one
 * JSON document (the last non-empty line of stdout is parsed if the whole output is not JSON).
 *
 * @example
 * const { result } = await runPython<{ result: number }>(
 *   'import json\nfrom celeriac_fixtures import tasks\n' +
 *     'print(json.dumps({"result": tasks.add.delay(2, 3).get(timeout=20)}))',
 *   { queuePrefix, resultTable },
 * );
 */
export async function runPython<T = unknown>(
  codeOrScript: string,
  options: RunPythonOptions = {},
): Promise<T> {
  const scriptPath = path.resolve(repoRoot, codeOrScript);
  const isScript = codeOrScript.endsWith('.py') && !codeOrScript.includes('\n') && existsSync(scriptPath);
  const args = isScript ? [scriptPath, ...(options.args ?? [])] : ['-c', codeOrScript];
  const child = spawn(pythonBin(), args, {
    cwd: repoRoot,
    env: pythonCeleryEnv(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-maxLogChars);
  });
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode));
  }).finally(() => clearTimeout(timer));

  const what = isScript ? codeOrScript : 'Python snippet';
  if (timedOut) {
    throw new Error(`${what} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  }
  if (code !== 0) {
    throw new Error(`${what} exited with code ${code}\nstderr:\n${stderr}\nstdout:\n${stdout}`);
  }
  return parseJsonOutput<T>(stdout, what, stderr);
}

function parseJsonOutput<T>(stdout: string, what: string, stderr: string): T {
  const trimmed = stdout.trim();
  const lastLine = trimmed.split('\n').at(-1) ?? '';
  for (const candidate of [trimmed, lastLine]) {
    try {
      return JSON.parse(candidate) as T;
    } catch {
      // Try the next candidate.
    }
  }
  throw new Error(`${what} did not print JSON on stdout:\n${stdout}\nstderr:\n${stderr}`);
}
