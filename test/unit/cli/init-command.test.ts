/**
 * `celeriac init` writes a project from the package's templates: every placeholder filled, dependencies at the
 * versions this repository builds and tests with, CDK's recommended feature flags, ES module or CommonJS. What the
 * project then does (install, test, synth, deploy) is proven from the packed tarball in test/package/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  defaultCeleriacSpec,
  initCommand,
  initProject,
  recommendedFeatureFlags,
  resolveCeleriacSpec,
} from '../../../src/cli/init-command.js';
import { UsageError } from '../../../src/cli/usage-error.js';

const root = path.resolve(import.meta.dirname, '../../..');
const work = mkdtempSync(path.join(tmpdir(), 'celeriac-init-unit-'));
const repo = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const read = (dir: string, file: string): string => readFileSync(path.join(dir, file), 'utf8');

/** Runs `celeriac init` with `args`; returns what it printed. */
async function printed(args: string[]): Promise<string> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  await initCommand(args);
  return log.mock.calls.map((call) => call.join(' ')).join('\n');
}

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('celeriac init', () => {
  it('writes an ES module project with every placeholder filled', () => {
    const dir = path.join(work, 'My App');
    const files = initProject({ dir, moduleType: 'module' });
    expect(files).toEqual(
      expect.arrayContaining([
        '.gitignore',
        'README.md',
        'bin/app.ts',
        'cdk.json',
        'functions/api.ts',
        'functions/worker.ts',
        'lib/stack.ts',
        'package.json',
        'src/tasks.ts',
        'test/local.test.ts',
        'test/tasks.test.ts',
        'tsconfig.json',
        'vitest.config.ts',
      ]),
    );
    for (const file of files) expect(read(dir, file), file).not.toMatch(/\{\{\w+\}\}/);
    const manifest = JSON.parse(read(dir, 'package.json'));
    expect(manifest).toMatchObject({ name: 'my-app', type: 'module', private: true });
    expect(read(dir, 'lib/outputs.ts')).toContain("export const STACK_NAME = 'MyApp';");
    expect(read(dir, 'lib/stack.ts')).toContain('path.join(import.meta.dirname, ');
    expect(read(dir, 'src/tasks.ts')).toContain("createApp({ name: 'my-app' })");
  });

  it('pins every dependency at the version this repository uses, and celeriac to this checkout by default', () => {
    const dir = path.join(work, 'pins');
    initProject({ dir, moduleType: 'module' });
    const manifest = JSON.parse(read(dir, 'package.json'));
    const pinned = { ...repo.dependencies, ...repo.devDependencies };
    for (const [name, version] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
      if (name === 'celeriac') expect(version).toBe(`file:${root}`);
      else expect(version, name).toBe(pinned[name]);
    }
    expect(Object.keys(manifest.dependencies)).toEqual(['celeriac', 'aws-cdk-lib', 'constructs']);
    expect(Object.keys(manifest.devDependencies)).toEqual(
      expect.arrayContaining(['esbuild', 'aws-cdk', 'tsx', 'typescript', 'vitest']),
    );
  });

  it('depends on a caret range of this version when it runs from an installed package rather than a checkout', () => {
    const installed = path.join(work, 'node_modules-celeriac');
    mkdirSync(installed);
    expect(defaultCeleriacSpec(installed, '0.1.0')).toBe('^0.1.0');
    expect(defaultCeleriacSpec(root, '0.1.0')).toBe(`file:${root}`);
  });

  it('writes a --celeriac path as file: and absolute, from the directory init ran in rather than the project', async () => {
    const dir = path.join(work, 'relative-spec');
    const output = await printed([dir, '--celeriac', '../celeriac']);
    const spec = `file:${path.resolve(process.cwd(), '../celeriac')}`;
    expect(JSON.parse(read(dir, 'package.json')).dependencies.celeriac).toBe(spec);
    // What was written and how to change it, since npm install may not find it (a caret range not published).
    expect(output).toContain(`\nceleriac dependency (package.json): ${spec}\n`);
    expect(output).toContain('edit it there, or init with --celeriac <spec>');
  });

  it('resolves what npm takes as a path, and leaves versions, ranges, tags, git URLs and absolute file: specs as given', () => {
    const cwd = path.join(work, 'cwd');
    for (const [spec, written] of [
      ['../celeriac', `file:${path.join(work, 'celeriac')}`],
      ['./celeriac', `file:${path.join(cwd, 'celeriac')}`],
      ['.', `file:${cwd}`],
      ['/opt/celeriac', 'file:/opt/celeriac'],
      ['~/src/celeriac', `file:${path.join(homedir(), 'src/celeriac')}`],
      ['celeriac-0.1.0.tgz', `file:${path.join(cwd, 'celeriac-0.1.0.tgz')}`],
      ['dist/celeriac-0.1.0.tar.gz', `file:${path.join(cwd, 'dist/celeriac-0.1.0.tar.gz')}`],
      ['file:../celeriac', `file:${path.join(work, 'celeriac')}`],
      ['file:celeriac', `file:${path.join(cwd, 'celeriac')}`],
      ['file:~/src/celeriac', `file:${path.join(homedir(), 'src/celeriac')}`],
    ]) {
      expect(resolveCeleriacSpec(spec as string, cwd), spec).toBe(written);
    }
    for (const spec of [
      '^0.1.0',
      '0.2.3',
      '>=0.1 <0.3',
      'latest',
      'next',
      'acme/celeriac',
      'github:acme/celeriac#main',
      'git+https://github.com/acme/celeriac.git',
      'git+ssh://git@github.com/acme/celeriac.git',
      'https://example.com/celeriac-0.1.0.tgz',
      'file:/opt/celeriac-0.1.0.tgz',
      'file:///opt/celeriac',
    ]) {
      expect(resolveCeleriacSpec(spec, cwd), spec).toBe(spec);
    }
  });

  it('prints the default celeriac dependency, and next steps that run celeriac with npx', async () => {
    const dir = path.join(work, 'next-steps');
    const output = await printed([dir]);
    expect(output).toContain(`\nceleriac dependency (package.json): file:${root}\n`);
    const next = output.slice(output.indexOf('\nNext:\n'));
    const runsCeleriac = next.split('\n').filter((line) => /^\s*(?:npx )?celeriac /.test(line));
    expect(runsCeleriac).toEqual([
      '  npx celeriac local deploy  # the stack on a local emulator; npm run test:local tests it',
    ]);
  });

  it('runs every test/**/*.test.ts in memory with npm test, and only the local ones against the stack', () => {
    const dir = path.join(work, 'vitest-projects');
    initProject({ dir, moduleType: 'module' });
    writeFileSync(path.join(dir, 'test/other.test.ts'), '');
    mkdirSync(path.join(dir, 'test/more'));
    writeFileSync(path.join(dir, 'test/more/nested.test.ts'), '');
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    // The project's own vitest, with its own config, as `npm test` and `npm run test:local` run it.
    const list = (project: string): string[] =>
      execFileSync(
        process.execPath,
        [path.join(root, 'node_modules/vitest/vitest.mjs'), 'list', '--filesOnly', '--project', project],
        { cwd: dir, encoding: 'utf8' },
      )
        .trim()
        .split('\n')
        .sort();
    expect(list('memory')).toEqual([
      '[memory] test/more/nested.test.ts',
      '[memory] test/other.test.ts',
      '[memory] test/tasks.test.ts',
    ]);
    expect(list('local')).toEqual(['[local] test/local.test.ts']);
  }, 30_000);

  it('writes a CommonJS project with --commonjs: __dirname, and a vitest config vitest loads as ESM', async () => {
    const dir = path.join(work, 'cjs');
    await printed([dir, '--commonjs', '--name', '@acme/jobs', '--celeriac', 'github:acme/celeriac']);
    const manifest = JSON.parse(read(dir, 'package.json'));
    expect(manifest).toMatchObject({ name: '@acme/jobs', type: 'commonjs' });
    expect(manifest.dependencies.celeriac).toBe('github:acme/celeriac');
    expect(read(dir, 'lib/stack.ts')).toContain('path.join(__dirname, ');
    expect(read(dir, 'lib/outputs.ts')).toContain("export const STACK_NAME = 'Jobs';");
    expect(read(dir, 'vitest.config.mts')).toContain('defineConfig');
    expect(JSON.parse(read(dir, 'tsconfig.json')).include).toContain('vitest.config.mts');
  });

  it("writes cdk.json with aws-cdk-lib's recommended feature flags, and the app run with tsx", () => {
    const dir = path.join(work, 'flags');
    initProject({ dir, moduleType: 'module' });
    const cdk = JSON.parse(read(dir, 'cdk.json'));
    const recommended = JSON.parse(read(root, 'node_modules/aws-cdk-lib/recommended-feature-flags.json'));
    expect(cdk.context).toEqual(recommended);
    expect(cdk.app).toBe('node --import tsx bin/app.ts');
  });

  it("keeps its copy of the feature flags equal to the pinned aws-cdk-lib's, the fallback when none resolves", () => {
    const recommended = JSON.parse(read(root, 'node_modules/aws-cdk-lib/recommended-feature-flags.json'));
    expect(
      JSON.parse(read(root, 'templates/cdk-feature-flags.json')),
      'refresh it: cp node_modules/aws-cdk-lib/recommended-feature-flags.json templates/cdk-feature-flags.json',
    ).toEqual(recommended);
    expect(recommendedFeatureFlags(root, '0.0.0-another-version')).toEqual(recommended);
  });

  it('refuses a directory that is not empty, naming what it holds, and leaves it as it was', () => {
    const dir = path.join(work, 'taken');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    expect(() => initProject({ dir, moduleType: 'module' })).toThrow(UsageError);
    expect(() => initProject({ dir, moduleType: 'module' })).toThrow(
      `${dir} is not empty (it holds notes.txt); celeriac init writes a project into a new or empty directory`,
    );
    expect(read(dir, 'notes.txt')).toBe('mine');
  });

  it('refuses a path that is a file, and a name npm would refuse', async () => {
    const file = path.join(work, 'a-file');
    writeFileSync(file, '');
    expect(() => initProject({ dir: file, moduleType: 'module' })).toThrow(/is a file/);
    await expect(initCommand([path.join(work, 'bad-name'), '--name', 'Bad Name'])).rejects.toThrow(
      'Expected --name to be an npm package name',
    );
    await expect(initCommand([])).rejects.toThrow('celeriac init needs the directory');
  });
});
