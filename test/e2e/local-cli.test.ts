/**
 * End to end: the built `celeriac local` CLI (plain node, no tsx) runs a project's CDK app on MiniStack: `up`
 * starts the emulator in the background (from the per-user cache, installed there the first time), `deploy`
 * deploys a fixture app (`test/fixtures/local-app/`) with the CDK CLI and writes the client's environment, a
 * client configured from that file alone gets a task result from the deployed Lambda worker, `status` and `logs`
 * report it, and `down` stops every process `up` started. One MiniStack on a free port serves every case, so a
 * developer's local stack on 4566 is left alone.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/index.js';
import { parseDotenv } from '../../src/local/client-environment.js';
import { freePort } from '../../src/local/free-port.js';
import { identifyEndpoint } from '../../src/local/identify-endpoint.js';
import { localStateFiles, readRecord } from '../../src/local/local-state.js';
import { killProcessGroupNow, processesInGroup } from '../../src/local/process-group.js';
import { repoRoot } from '../emulator/moto-server.js';
import { buildCli, type CommandResult, run } from './helpers/built-cli.js';

let cli: string;
let port: number;
let projectDir: string;
let pid: number | undefined;
const fixtureApp = `node --import tsx ${path.join(repoRoot, 'test', 'fixtures', 'local-app', 'app.ts')}`;

/** The environment of a user's shell: no emulator settings or credentials of the test run leak in. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'LANG', 'TZ', 'XDG_CACHE_HOME', 'PYTHON', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

async function celeriac(args: readonly string[], cwd = projectDir): Promise<CommandResult> {
  return await run(process.execPath, [cli, ...args], { cwd, env: userEnv() });
}

beforeAll(async () => {
  cli = await buildCli();
  port = await freePort();
  // Inside the repository, so the fixture app resolves aws-cdk-lib, tsx and the CDK CLI from its node_modules.
  mkdirSync(path.join(repoRoot, '.tmp'), { recursive: true });
  projectDir = mkdtempSync(path.join(repoRoot, '.tmp', 'local-project-'));
});

afterAll(async () => {
  // When a case failed before down ran: stop what up started, and remove its temporary directory.
  const record = projectDir === undefined ? undefined : readRecord(localStateFiles(projectDir));
  if (pid !== undefined && (processesInGroup(pid)?.length ?? 0) > 0) killProcessGroupNow(pid);
  if (record !== undefined) rmSync(record.tempDir, { recursive: true, force: true });
  if (projectDir !== undefined) rmSync(projectDir, { recursive: true, force: true });
});

describe('celeriac local (the built CLI) on a fixture CDK app', () => {
  it('up starts MiniStack in the background on the port; a second up started with it waits, then reuses it', async () => {
    const both = await Promise.all([
      celeriac(['local', 'up', '--port', String(port)]),
      celeriac(['local', 'up', '--port', String(port)]),
    ]);
    expect(both.map((result) => result.code)).toEqual([0, 0]);
    const first = both.find((result) => result.output.includes('started on'));
    const second = both.find((result) => result !== first);
    expect(first?.output).toContain(`started on http://127.0.0.1:${port}`);
    const record = readRecord(localStateFiles(projectDir));
    pid = record?.pid;
    expect(record).toMatchObject({ port, endpoint: `http://127.0.0.1:${port}`, version: '1.5.33' });
    expect(await identifyEndpoint(`http://127.0.0.1:${port}`)).toEqual({
      kind: 'ministack',
      version: '1.5.33',
    });
    expect(second?.output).toContain(`already runs on http://127.0.0.1:${port} (pid ${pid}`);
    expect(existsSync(path.join(localStateFiles(projectDir).dir, 'up.lock'))).toBe(false);

    const third = await celeriac(['local', 'up', '--port', String(port)]);
    expect(third.code).toBe(0);
    expect(third.output).toContain(`already runs on http://127.0.0.1:${port} (pid ${pid}`);
    expect(readRecord(localStateFiles(projectDir))?.pid).toBe(pid);
  });

  it('down takes an incomplete record another tool left for none, and removes it', async () => {
    const other = mkdtempSync(path.join(repoRoot, '.tmp', 'local-partial-'));
    try {
      const files = localStateFiles(other);
      mkdirSync(files.dir, { recursive: true });
      const free = await freePort();
      writeFileSync(files.record, JSON.stringify({ pid: 999_999, port: free }));
      const result = await celeriac(['local', 'down', '--port', String(free)], other);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain('No MiniStack started by celeriac local up is running.');
      expect(existsSync(files.record)).toBe(false);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('up refuses a port held by a server that is not MiniStack, and says how to go on', async () => {
    const server: Server = createServer((_request, response) => response.writeHead(404).end());
    const busy = await freePort();
    await new Promise<void>((resolve) => server.listen(busy, '127.0.0.1', resolve));
    const other = mkdtempSync(path.join(repoRoot, '.tmp', 'local-busy-'));
    try {
      const result = await celeriac(['local', 'up', '--port', String(busy)], other);
      expect(result.code).toBe(1);
      expect(result.output).toContain(`127.0.0.1:${busy} is held by an HTTP server that is not MiniStack`);
      expect(result.output).toContain(`--port ${busy + 1}`);
      expect(existsSync(localStateFiles(other).record)).toBe(false);
    } finally {
      server.close();
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('deploy deploys the app with the CDK CLI and writes the client environment from the deployed function', async () => {
    const result = await celeriac(['local', 'deploy', '--port', String(port), '--app', fixtureApp]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('Deployed CeleriacLocalFixture');
    const files = localStateFiles(projectDir);
    const env = parseDotenv(readFileSync(files.env, 'utf8'));
    expect(env.AWS_ENDPOINT_URL).toBe(`http://127.0.0.1:${port}`);
    expect(env).toMatchObject({ AWS_REGION: 'us-east-1', CELERIAC_DEFAULT_QUEUE: 'celery' });
    const queues = JSON.parse(env.CELERIAC_QUEUE_URLS ?? '{}') as Record<string, string>;
    expect(Object.keys(queues)).toEqual(['celery']);
    expect(queues.celery).toMatch(new RegExp(`:${port}/000000000000/CeleriacLocalFixture-TasksQueue`));
    expect(env.CELERIAC_RESULT_TABLE).toMatch(/^CeleriacLocalFixture-ResultsTable/);
    expect(env.CELERIAC_PAYLOAD_BUCKET).toMatch(/^celeriaclocalfixture-resultspayloadbucket/);
    const outputs = JSON.parse(readFileSync(files.outputs, 'utf8')) as Record<string, Record<string, string>>;
    expect(outputs.CeleriacLocalFixture?.DeadLetterQueueUrl).toMatch(
      /CeleriacLocalFixture-TasksDeadLetterQueue/,
    );
    expect(result.output).toContain(
      `CeleriacLocalFixture.DeadLetterQueueUrl  ${outputs.CeleriacLocalFixture?.DeadLetterQueueUrl}`,
    );
  });

  it('a client configured from .celeriac/local/env alone gets a result from the deployed Lambda worker', async () => {
    const env = parseDotenv(readFileSync(localStateFiles(projectDir).env, 'utf8'));
    // The SDK takes credentials from the process environment; everything else comes from the file.
    process.env.AWS_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    const app = createApp({ env });
    const result = await app.sendTask<number>('fixture.multiply', [6, 7]);
    expect(await result.get({ timeoutMs: 30_000 })).toBe(42);

    // MiniStack logs an invocation's output after it returns: poll `logs` for the worker's line.
    let logs: CommandResult = { code: null, output: '' };
    const deadline = Date.now() + 10_000;
    while (!logs.output.includes(`task ${result.id} `) && Date.now() < deadline) {
      logs = await celeriac(['local', 'logs']);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(logs.code).toBe(0);
    expect(logs.output).toMatch(new RegExp(`task ${result.id} fixture\\.multiply SUCCESS`));
    expect(logs.output).not.toContain('Local AWS Service Emulator'); // The banner is not a Lambda line.
  });

  it('status shows the running emulator, its endpoint and the deployed stack', async () => {
    const result = await celeriac(['local', 'status']);
    expect(result.code).toBe(0);
    expect(result.output).toContain(`MiniStack 1.5.33 runs on http://127.0.0.1:${port} (pid ${pid})`);
    expect(result.output).toContain('Stacks: CeleriacLocalFixture');
  });

  it('down stops MiniStack and every Lambda process it ran, and removes the state', async () => {
    if (pid === undefined) throw new Error('up recorded no pid');
    // The worker ran in a process of MiniStack's group: down must stop that one too.
    expect(processesInGroup(pid)?.length).toBeGreaterThan(1);
    const result = await celeriac(['local', 'down']);
    expect(result.code).toBe(0);
    expect(result.output).toContain(`Stopped MiniStack (pid ${pid})`);
    expect(processesInGroup(pid)).toEqual([]);
    expect(await identifyEndpoint(`http://127.0.0.1:${port}`)).toEqual({ kind: 'nothing' });
    const files = localStateFiles(projectDir);
    for (const file of [files.record, files.env, files.outputs, files.assembly])
      expect(existsSync(file)).toBe(false);

    const status = await celeriac(['local', 'status', '--port', String(port)]);
    expect(status.output).toContain(`MiniStack is not running on http://127.0.0.1:${port}`);
  });
});
