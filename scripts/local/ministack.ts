/**
 * MiniStack, the emulator of the local stack: how to start it so that it runs the deployed Lambda worker
 * correctly, and how to tell whether what answers on a port is MiniStack.
 *
 * Found by running MiniStack 1.5.33:
 * - It runs a Node.js Lambda function with the `node` on its PATH (the host's Node, whatever the function's
 *   declared runtime) and writes the function's code and its own runner script under `TMPDIR`. A `TMPDIR`
 *   inside a project whose package.json says `"type": "module"` (this one) makes Node load that CommonJS runner
 *   as an ES module, and every invocation then fails with "Worker process exited immediately". Each MiniStack
 *   therefore gets a fresh directory under the system temp directory.
 * - The function's process inherits MiniStack's environment, so MiniStack gets a small, explicit one (no AWS
 *   credentials or celeriac variables from the shell), with `AWS_ENDPOINT_URL` pointing back at itself: the
 *   worker's SDK calls then stay on the emulator.
 * - By default it also listens on port 8883 (an IoT MQTT broker); that is switched off so that two MiniStacks
 *   (the local stack and the end-to-end test) can run side by side.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The repository root. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The MiniStack executable installed by `scripts/python-env.sh`. */
export const MINISTACK_BIN = path.join(REPO_ROOT, '.venv', 'bin', 'ministack');

/** The account MiniStack puts resources in when the access key is not a 12-digit account id. */
export const MINISTACK_ACCOUNT = '000000000000';

/** The health path only MiniStack answers (LocalStack answers `/_localstack/health`, which MiniStack also does). */
export const MINISTACK_HEALTH_PATH = '/_ministack/health';

/** What answers on an endpoint. */
export type EndpointOwner =
  | { readonly kind: 'ministack'; readonly version: string }
  | { readonly kind: 'other'; readonly description: string }
  | { readonly kind: 'nothing' };

/**
 * Finds out what answers on `endpoint`: MiniStack (its health document lists its services and version),
 * something else, or nothing at all.
 */
export async function identifyEndpoint(endpoint: string, timeoutMs = 5000): Promise<EndpointOwner> {
  let response: Response;
  try {
    response = await fetch(`${endpoint}${MINISTACK_HEALTH_PATH}`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (code === 'ECONNREFUSED') return { kind: 'nothing' };
    const why =
      error instanceof Error && error.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (code ?? (error instanceof Error ? error.message : String(error)));
    return { kind: 'other', description: `something that does not answer HTTP (${why})` };
  }
  const server = response.headers.get('server');
  const text = await response.text();
  if (response.ok) {
    try {
      const health = JSON.parse(text) as { services?: unknown; version?: unknown };
      if (typeof health.services === 'object' && health.services !== null && 'sqs' in health.services) {
        return {
          kind: 'ministack',
          version: typeof health.version === 'string' ? health.version : 'unknown',
        };
      }
    } catch {
      // Not JSON: not MiniStack.
    }
  }
  return {
    kind: 'other',
    description: `an HTTP server that is not MiniStack (${MINISTACK_HEALTH_PATH} answered ${response.status}${server ? `, server ${server}` : ''})`,
  };
}

/** Options for {@link spawnMiniStack}. */
export interface MiniStackOptions {
  /** Loopback port to listen on. */
  readonly port: number;
  /** Where MiniStack's output goes: a file descriptor (detached runs) or `'pipe'`. */
  readonly output: number | 'pipe';
  /** Keep running after this process exits (the local stack) rather than die with it (tests). */
  readonly detached: boolean;
}

/** A started MiniStack process and the directory it keeps Lambda code in. */
export interface MiniStackChild {
  readonly child: ChildProcess;
  readonly endpoint: string;
  /** MiniStack's `TMPDIR`: Lambda code, its runner scripts, its pid file. */
  readonly tempDir: string;
}

/** `http://127.0.0.1:<port>`: the endpoint every client of a local MiniStack uses. */
export const loopbackEndpoint = (port: number): string => `http://127.0.0.1:${port}`;

/**
 * Starts MiniStack on `127.0.0.1:<port>` (not waiting for it to answer). Throws when the venv has no MiniStack.
 */
export function spawnMiniStack(options: MiniStackOptions): MiniStackChild {
  if (!existsSync(MINISTACK_BIN)) {
    throw new Error(
      `MiniStack is not installed at ${MINISTACK_BIN}; run \`bash scripts/python-env.sh\` (npm run local and ` +
        'npm test do it for you).',
    );
  }
  const endpoint = loopbackEndpoint(options.port);
  const tempDir = mkdtempSync(path.join(tmpdir(), `celeriac-ministack-${options.port}-`));
  const inherited = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ'] as const;
  const env: NodeJS.ProcessEnv = {};
  for (const name of inherited) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, {
    GATEWAY_PORT: String(options.port),
    BIND_HOST: '127.0.0.1',
    TMPDIR: tempDir,
    // Lambda functions inherit this environment: keep their SDK calls on this MiniStack.
    AWS_ENDPOINT_URL: endpoint,
    // The bundled SDK warns on every cold start when the host's Node is older than 22.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    IOT_MTLS_ENABLED: '0',
    SFTP_ENABLED: '0',
    LOG_LEVEL: 'INFO',
    PYTHONUNBUFFERED: '1',
  });
  const child = spawn(MINISTACK_BIN, [], {
    cwd: tempDir,
    env,
    detached: options.detached,
    stdio: ['ignore', options.output, options.output],
  });
  return { child, endpoint, tempDir };
}
