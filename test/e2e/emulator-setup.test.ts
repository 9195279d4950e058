/**
 * The testing kit's vitest global setup on the real emulator: it starts one MiniStack on a free port, hands its
 * connection to the tests (`provide`, and the AWS variables), and its teardown stops MiniStack with its process
 * group and gives the variables back.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { TestProject } from 'vitest/node';
import { identifyEndpoint } from '../../src/local/identify-endpoint.js';
import { killProcessGroupNow, processesInGroup } from '../../src/local/process-group.js';
import {
  type EmulatorConnection,
  emulatorGlobalSetup,
  type ProvidingProject,
} from '../../src/testing/emulator-setup.js';
import { repoRoot } from '../emulator/moto-server.js';

describe('emulatorGlobalSetup', () => {
  it('starts MiniStack for the run, points the AWS variables at it, and stops it at teardown', async () => {
    const provided = new Map<string, unknown>();
    const project = { provide: (key: string, value: unknown) => provided.set(key, value) };
    // vitest's own project fits too (checked by tsc): a global setup hands it straight on.
    expectTypeOf<TestProject>().toExtend<ProvidingProject>();
    const before = process.env.AWS_ENDPOINT_URL;
    const teardown = await emulatorGlobalSetup()(project);
    const connection = provided.get('celeriacEmulator') as EmulatorConnection;
    try {
      expect(connection).toEqual({
        endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        region: 'us-east-1',
        accessKeyId: 'celeriac-ministack',
        secretAccessKey: 'celeriac-ministack',
        accountId: '000000000000',
      });
      expect(connection.endpoint).not.toBe('http://127.0.0.1:4566');
      expect(process.env.AWS_ENDPOINT_URL).toBe(connection.endpoint);
      expect(process.env.AWS_ACCESS_KEY_ID).toBe('celeriac-ministack');
      // A client configured by the environment alone reaches it.
      const sqs = new SQSClient({});
      expect((await sqs.send(new ListQueuesCommand({}))).$metadata.httpStatusCode).toBe(200);
      sqs.destroy();
    } finally {
      await teardown();
    }
    expect(await identifyEndpoint(connection.endpoint)).toEqual({ kind: 'nothing' });
    expect(process.env.AWS_ENDPOINT_URL).toBe(before);
  });

  it('refuses a port that is already taken, naming what holds it', async () => {
    const first = new Map<string, unknown>();
    const teardown = await emulatorGlobalSetup({ setEnv: false })({
      provide: (key: string, value: unknown) => first.set(key, value),
    });
    try {
      const { endpoint } = first.get('celeriacEmulator') as EmulatorConnection;
      const port = Number(new URL(endpoint).port);
      const error = await emulatorGlobalSetup({ port })({
        provide: () => {},
      }).catch((e: unknown) => e);
      expect((error as Error).message).toContain(`127.0.0.1:${port} is held by a MiniStack 1.5.33 already`);
    } finally {
      await teardown();
    }
  });
});

describe('startEmulator in a script ended by a signal', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'stops MiniStack with its group and removes its temporary directory on %s, and the script ends by it',
    async (signal) => {
      mkdirSync(path.join(repoRoot, '.tmp'), { recursive: true });
      const dir = mkdtempSync(path.join(repoRoot, '.tmp', 'emulator-signal-'));
      const script = path.join(dir, 'script.ts');
      const module = pathToFileURL(path.join(repoRoot, 'src', 'local', 'emulator.ts')).href;
      writeFileSync(
        script,
        `import { startEmulator } from ${JSON.stringify(module)};\n` +
          'const emulator = await startEmulator({ port: 0 });\n' +
          "console.log('ready', emulator.pid);\n" +
          'setInterval(() => {}, 1000);\n',
      );
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let pid: number | undefined;
      try {
        pid = await new Promise<number>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const ready = /ready (\d+)/.exec(out);
            if (ready) resolve(Number(ready[1]));
          });
          child.once('exit', (code) =>
            reject(new Error(`the script exited (${code}) before MiniStack answered`)),
          );
        });
        const tempDir = /(?:^|\0)TMPDIR=([^\0]*)/.exec(readFileSync(`/proc/${pid}/environ`, 'utf8'))?.[1];
        expect(tempDir).toBeDefined();
        expect(existsSync(tempDir as string)).toBe(true);
        const ended = new Promise<NodeJS.Signals | null>((resolve) =>
          child.once('exit', (_code, by) => resolve(by)),
        );
        child.kill(signal);
        expect(await ended).toBe(signal);
        expect(processesInGroup(pid)).toEqual([]);
        expect(existsSync(tempDir as string)).toBe(false);
      } finally {
        if (pid !== undefined && (processesInGroup(pid)?.length ?? 0) > 0) killProcessGroupNow(pid);
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
