import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { localCommand, parseLocalArgs } from '../../../src/cli/local-command.js';
import { UsageError } from '../../../src/cli/usage-error.js';

const parse = (argv: string[]) => parseLocalArgs(argv, '/work/project');
const usageError = (argv: string[]): UsageError => {
  try {
    parse(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`${argv.join(' ')} parsed without an error`);
};

describe('celeriac local: its command line', () => {
  it('reads deploy with an app command, named stacks, a port and a project directory', () => {
    expect(
      parse(['deploy', 'Shop', 'Billing', '--app', 'npx tsx bin/app.ts', '--port', '4600', '--dir', 'sub']),
    ).toEqual({
      subcommand: 'deploy',
      projectDir: '/work/project/sub',
      stateDir: undefined,
      port: 4600,
      app: 'npx tsx bin/app.ts',
      stacks: ['Shop', 'Billing'],
      follow: false,
      all: false,
    });
  });

  it('defaults to the current directory, the default port and every stack', () => {
    expect(parse(['up'])).toMatchObject({
      subcommand: 'up',
      projectDir: '/work/project',
      port: undefined,
      stacks: [],
    });
    expect(parse(['logs', '-f', '--all'])).toMatchObject({ subcommand: 'logs', follow: true, all: true });
  });

  it('takes a state directory from the current directory, for a second stack beside a running one', () => {
    expect(parse(['deploy', '--state-dir', '.celeriac/test', '--dir', 'sub'])).toMatchObject({
      projectDir: '/work/project/sub',
      stateDir: '/work/project/.celeriac/test',
    });
    expect(usageError(['up', '--state-dir', '']).message).toBe(
      'Expected --state-dir to be a path, got an empty string',
    );
  });

  it('refuses a missing or unknown command and shows the usage', () => {
    expect(usageError([]).message).toMatch(
      /^Name a command: up, deploy, status, logs, down\n\nUsage: celeriac local/,
    );
    expect(usageError(['start']).message).toMatch(/^Unknown command "start" for celeriac local/);
  });

  it('refuses a port that is not a TCP port number', () => {
    for (const port of ['0', '65536', '45x', '-1']) {
      expect(usageError(['up', `--port=${port}`]).message).toBe(
        `Expected --port to be a TCP port number (1-65535), got ${JSON.stringify(port)}`,
      );
    }
  });

  it('refuses options and arguments of another subcommand', () => {
    expect(usageError(['up', 'Shop']).message).toBe('celeriac local up takes no arguments, got Shop');
    expect(usageError(['status', '--app', 'x']).message).toBe('--app applies to celeriac local deploy only');
    expect(usageError(['down', '--follow']).message).toBe(
      '--follow and --all apply to celeriac local logs only',
    );
    expect(usageError(['deploy', '--app', ' ']).message).toBe(
      'Expected --app to be a command, got an empty string',
    );
  });

  it('leaves unknown options to parseArgs, whose error the CLI reports as a usage error', () => {
    expect(() => parse(['up', '--hots'])).toThrow(
      expect.objectContaining({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }),
    );
  });
});

describe('celeriac local logs', () => {
  it('reads the emulator log of the state directory given, not the project default', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'celeriac-state-'));
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      await localCommand(['logs', '--dir', dir, '--state-dir', path.join(dir, 'test-state')]);
    } finally {
      console.log = log;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(lines).toEqual([
      `No Lambda log lines yet in ${path.join(dir, 'test-state', 'emulator.log')} (celeriac local up writes it).`,
    ]);
  });
});

describe('celeriac local deploy', () => {
  it('refuses a directory without cdk.json when no --app names the app, before starting anything', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'celeriac-no-cdk-'));
    try {
      await expect(localCommand(['deploy', '--dir', dir, '--port', '1'])).rejects.toThrow(
        new UsageError(
          `${dir} has no cdk.json: run celeriac local deploy in the CDK project, or name the app with ` +
            "--app '<command>' (e.g. --app 'npx tsx bin/app.ts')",
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
