/**
 * `celeriac init` as a new user meets it, from the packed tarball and offline: the package is packed, its own
 * `celeriac init` writes an ES module project and a CommonJS one, each installs the tarball with its dependencies
 * from the npm cache (`npm ci --offline`, see `offline-lock.ts`), runs its own tests, type-checks and synthesizes.
 * Both pass their own tests against the local stack (`npm run test:local`: a MiniStack of their own, the stack
 * deployed with `celeriac local deploy`). The ES module project is then deployed with `celeriac local deploy` to a
 * MiniStack on a free port: its API Lambda answers with a result its worker Lambda computed, and its periodic task
 * runs on two different slots.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_REGION, MINISTACK_ACCESS_KEY } from '../../src/local/emulator-environment.js';
import { freePort } from '../../src/local/free-port.js';
import { offlineLock } from './offline-lock.js';

const root = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'celeriac-init-'));
const run = promisify(execFile);

/** The environment of every command here: no AWS credentials or endpoints of the shell, no CDK telemetry. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('AWS_') && !name.startsWith('CELERIAC_') && !name.startsWith('CDK_'))
      env[name] = value;
  }
  return {
    ...env,
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CDK_DISABLE_VERSION_CHECK: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

/** Runs a command in `cwd` and returns its stdout; a failure carries its stdout and stderr. */
async function sh(command: string, args: readonly string[], cwd: string, env = cleanEnv()): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return stripVTControlCharacters(stdout);
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`\`${command} ${args.join(' ')}\` failed in ${cwd}:\n${stdout}\n${stderr}`.slice(-8000), {
      cause: error,
    });
  }
}

let tarball = '';
let integrity = '';
/** The packed package, unpacked, with this repository's dependencies as its node_modules. */
let packed = '';

beforeAll(async () => {
  const [result] = JSON.parse(await sh('npm', ['pack', '--json', '--pack-destination', work], root)) as {
    filename: string;
    integrity: string;
  }[];
  if (!result) throw new Error('npm pack produced nothing');
  tarball = path.join(work, result.filename);
  integrity = result.integrity;
  const unpacked = path.join(work, 'unpacked');
  mkdirSync(unpacked);
  await sh('tar', ['-xzf', tarball, '-C', unpacked], work);
  packed = path.join(unpacked, 'package');
  symlinkSync(path.join(root, 'node_modules'), path.join(packed, 'node_modules'));
}, 300_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** `celeriac init` from the packed package, then the offline install of what it wrote. */
async function initAndInstall(name: string, flags: readonly string[]): Promise<string> {
  const dir = path.join(work, name);
  const printed = await sh(
    process.execPath,
    [path.join(packed, 'dist/src/cli/main.js'), 'init', dir, '--celeriac', `file:${tarball}`, ...flags],
    work,
  );
  expect(printed).toContain(`celeriac project in ${dir}`);
  const project = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(path.join(packed, 'package.json'), 'utf8'));
  writeFileSync(
    path.join(dir, 'package-lock.json'),
    offlineLock({ repoRoot: root, project, projectDir: dir, celeriac: { tarball, integrity, manifest } }),
  );
  await sh('npm', ['ci', '--offline', '--no-audit', '--no-fund'], dir);
  return dir;
}

/** The template `cdk synth` wrote for the project's stack. */
function synthesized(
  dir: string,
  stackName: string,
): { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> } {
  return JSON.parse(readFileSync(path.join(dir, 'cdk.out', `${stackName}.template.json`), 'utf8'));
}

/** Checks what every generated project must do: its tests pass, it type-checks, and it synthesizes. */
async function checkProject(dir: string, stackName: string): Promise<void> {
  const tests = await sh('npm', ['test'], dir);
  expect(tests).toMatch(/Tests\s+3 passed \(3\)/);
  await sh('npx', ['tsc', '--noEmit'], dir);
  await sh('npx', ['cdk', 'synth', '--quiet'], dir);
  const resources = Object.values(synthesized(dir, stackName).Resources);
  const functions = resources.filter((r) => r.Type === 'AWS::Lambda::Function');
  // The worker and the API Lambda, on Node.js 24 and arm64 (CDK adds no others: no custom resources).
  expect(functions).toHaveLength(2);
  for (const fn of functions) {
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  }
  expect(resources.map((r) => r.Type)).toEqual(
    expect.arrayContaining(['AWS::SQS::Queue', 'AWS::DynamoDB::Table', 'AWS::Scheduler::Schedule']),
  );
}

describe('celeriac init, from the packed tarball', () => {
  it('writes an ES module project that installs offline, passes its tests, type-checks and synthesizes', async () => {
    const dir = await initAndInstall('esm-app', []);
    expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).type).toBe('module');
    await checkProject(dir, 'EsmApp');
  }, 600_000);

  it('writes a CommonJS project with --commonjs, whose require() of celeriac/cdk works', async () => {
    const dir = await initAndInstall('cjs-app', ['--commonjs', '--name', 'cjs-app']);
    expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).type).toBe('commonjs');
    expect(
      (await sh(process.execPath, ['-p', "typeof require('celeriac/cdk').CallerFunction"], dir)).trim(),
    ).toBe('function');
    await checkProject(dir, 'CjsApp');
  }, 600_000);

  it('refuses a directory that is not empty, saying so', async () => {
    const dir = path.join(work, 'not-empty');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const error = await sh(
      process.execPath,
      [path.join(packed, 'dist/src/cli/main.js'), 'init', dir],
      work,
    ).catch((e: unknown) => e as Error);
    expect(String(error)).toContain(`${dir} is not empty (it holds notes.txt)`);
    expect(readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });
});

describe('the generated projects on MiniStack', () => {
  const dir = path.join(work, 'esm-app');
  let port = 0;
  let outputs: Record<string, string> = {};

  afterAll(async () => {
    if (port !== 0)
      await sh('npx', ['celeriac', 'local', 'down', '--port', String(port)], dir).catch(() => '');
  });

  it('the ES module project passes its own tests against the local stack (npm run test:local)', async () => {
    // The state of a stack the developer deployed: the tests' own stack must leave it as it is.
    const own = path.join(dir, '.celeriac/local');
    mkdirSync(own, { recursive: true });
    writeFileSync(path.join(own, 'env'), 'AWS_ENDPOINT_URL=http://127.0.0.1:4566\n');
    writeFileSync(path.join(own, 'outputs.json'), '{"EsmApp":{}}\n');
    const output = await sh('npm', ['run', 'test:local'], dir);
    expect(output).toMatch(/Tests\s+2 passed \(2\)/);
    expect(readFileSync(path.join(own, 'env'), 'utf8')).toBe('AWS_ENDPOINT_URL=http://127.0.0.1:4566\n');
    expect(readFileSync(path.join(own, 'outputs.json'), 'utf8')).toBe('{"EsmApp":{}}\n');
    expect(JSON.parse(readFileSync(path.join(dir, '.celeriac/test/outputs.json'), 'utf8'))).toHaveProperty(
      'EsmApp.ApiFunctionName',
    );
    rmSync(own, { recursive: true, force: true });
  }, 600_000);

  it('the CommonJS project passes them too', async () => {
    const output = await sh('npm', ['run', 'test:local'], path.join(work, 'cjs-app'));
    expect(output).toMatch(/Tests\s+2 passed \(2\)/);
  }, 600_000);

  it('the ES module project, deployed with celeriac local deploy on a free port, answers through its API Lambda', async () => {
    port = await freePort();
    await sh('npx', ['celeriac', 'local', 'deploy', '--port', String(port)], dir);
    outputs =
      (
        JSON.parse(readFileSync(path.join(dir, '.celeriac/local/outputs.json'), 'utf8')) as Record<
          string,
          Record<string, string>
        >
      ).EsmApp ?? {};
    const lambda = new LambdaClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: LOCAL_REGION,
      credentials: { accessKeyId: MINISTACK_ACCESS_KEY, secretAccessKey: MINISTACK_ACCESS_KEY },
    });
    const response = await lambda.send(
      new InvokeCommand({ FunctionName: outputs.ApiFunctionName, Payload: JSON.stringify({ a: 19, b: 23 }) }),
    );
    const payload = new TextDecoder().decode(response.Payload);
    expect(response.FunctionError, payload).toBeUndefined();
    expect(JSON.parse(payload)).toEqual({ taskId: expect.stringMatching(/^[0-9a-f-]{36}$/), sum: 42 });
  }, 600_000);

  it('and runs its periodic task on two different slots, each under its own id', async () => {
    // rate(1 minute) fires about a minute after the deploy; MiniStack leaves the scheduled-time placeholder as
    // it is, and the worker fills the slot in from the time SQS received the message (test/e2e/deploy.test.ts).
    const ddb = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: LOCAL_REGION,
      credentials: { accessKeyId: MINISTACK_ACCESS_KEY, secretAccessKey: MINISTACK_ACCESS_KEY },
    });
    const slots = new Map<string, Record<string, unknown>>();
    const deadline = Date.now() + 210_000;
    while (slots.size < 2 && Date.now() < deadline) {
      const { Items = [] } = await ddb.send(
        new ScanCommand({
          TableName: outputs.ResultTableName,
          FilterExpression: 'begins_with(id, :prefix)',
          ExpressionAttributeValues: { ':prefix': { S: "b'celery-task-meta-heartbeat-" } },
          ConsistentRead: true,
        }),
      );
      for (const item of Items) {
        if (!item.result?.B) continue;
        const meta = JSON.parse(new TextDecoder().decode(item.result.B)) as Record<string, unknown>;
        if (meta.status === 'SUCCESS') slots.set(String(meta.task_id), meta);
      }
      if (slots.size < 2) await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    const ids = [...slots.keys()].sort();
    expect(ids.length, `heartbeat slots that ran within 210 s: ${ids.join(', ')}`).toBeGreaterThanOrEqual(2);
    for (const id of ids) {
      expect(id).toMatch(/^heartbeat-\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
      expect(slots.get(id)?.result).toBe(id);
    }
  }, 240_000);
});
