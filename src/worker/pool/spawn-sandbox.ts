/**
 * Starting a sandbox: a worker thread (`worker_threads`) or a child process (`child_process.fork`) running the
 * pool's entry point, which loads the app module itself. From source (`.ts`), the entry is loaded through tsx.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** The worker's end of one sandbox. */
export interface SandboxChannel {
  /** `thread 3` or `process 1234`, for log lines. */
  readonly label: string;
  send(text: string): void;
  onMessage(handler: (text: string) => void): void;
  /** Called once when the sandbox has ended, with how: `exitcode 1`, `signal 9 (SIGKILL)`. */
  onExit(handler: (how: string) => void): void;
  /** Ends the sandbox at once, whatever it is doing. */
  terminate(): void;
}

/** What a sandbox is started with. */
export interface SpawnOptions {
  /** The app module to load (the CLI's `--app`). */
  readonly appModule: string;
  /** The sandbox's entry point. Default: `celeriac`'s own (`src/cli/pool-child`). */
  readonly entry?: URL;
}

const fromSource = import.meta.url.endsWith('.ts');

/** The entry point shipped with celeriac, next to the CLI. */
export function defaultEntry(): URL {
  return new URL(`../../cli/pool-child.${fromSource ? 'ts' : 'js'}`, import.meta.url);
}

const isTypeScript = (entry: URL): boolean => /\.[cm]?ts$/.test(entry.pathname);

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = { SIGKILL: 9, SIGTERM: 15, SIGSEGV: 11, SIGABRT: 6 };

/** Starts a worker thread. */
export function spawnThread(options: SpawnOptions): SandboxChannel {
  const entry = options.entry ?? defaultEntry();
  const workerData = { app: options.appModule };
  const worker = isTypeScript(entry)
    ? new Worker(
        `import('tsx/esm/api').then((api) => api.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(entry.href)}))`,
        { eval: true, workerData },
      )
    : new Worker(entry, { workerData });
  let exited: ((how: string) => void) | undefined;
  let lastError: string | undefined;
  let ended = false;
  worker.on('error', (error) => {
    lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  });
  worker.on('exit', (code) => {
    ended = true;
    exited?.(lastError ? `exitcode ${code} (${lastError})` : `exitcode ${code}`);
  });
  return {
    label: `thread ${worker.threadId}`,
    send: (text) => {
      if (!ended) worker.postMessage(text);
    },
    onMessage: (handler) => worker.on('message', (text: string) => handler(text)),
    onExit: (handler) => {
      exited = handler;
    },
    terminate: () => {
      if (!ended) void worker.terminate();
    },
  };
}

/** Starts a child process. */
export function spawnProcess(options: SpawnOptions): SandboxChannel {
  const entry = options.entry ?? defaultEntry();
  const child = fork(fileURLToPath(entry), [], {
    env: { ...process.env, CELERIAC_POOL_APP: options.appModule },
    ...(isTypeScript(entry) ? { execArgv: ['--import', 'tsx'] } : {}),
    serialization: 'json',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited: ((how: string) => void) | undefined;
  child.on('exit', (code, signal) => {
    const how = signal ? `signal ${SIGNAL_NUMBERS[signal] ?? '?'} (${signal})` : `exitcode ${code}`;
    exited?.(how);
  });
  child.on('error', () => {
    // An IPC send to a process that just ended; its exit reports what happened.
  });
  return {
    label: `process ${child.pid}`,
    send: (text) => {
      if (child.connected) child.send(text);
    },
    onMessage: (handler) => child.on('message', (text: string) => handler(text)),
    onExit: (handler) => {
      exited = handler;
    },
    terminate: () => void child.kill('SIGKILL'),
  };
}
