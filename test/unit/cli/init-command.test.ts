/**
 * `celeriac init` writes a project from the package's templates: every placeholder filled, dependencies at the
 * versions this repository builds and tests with, CDK's recommended feature flags, ES module or CommonJS. What the
 * project then does (install, test, synth, deploy) is proven from the packed tarball in test/package/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  defaultCeleriacSpec,
  initCommand,
  initProject,
  recommendedFeatureFlags,
} from '../../../src/cli/init-command.js';
import { UsageError } from '../../../src/cli/usage-error.js';

const root = path.resolve(import.meta.dirname, '../../..');
const work = mkdtempSync(path.join(tmpdir(), 'celeriac-init-unit-'));
const repo = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const read = (dir: string, file: string): string => readFileSync(path.join(dir, file), 'utf8');

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

  it('writes a CommonJS project with --commonjs: __dirname, and a vitest config vitest loads as ESM', async () => {
    const dir = path.join(work, 'cjs');
    await initCommand([dir, '--commonjs', '--name', '@acme/jobs', '--celeriac', '../celeriac-0.1.0.tgz']);
    const manifest = JSON.parse(read(dir, 'package.json'));
    expect(manifest).toMatchObject({ name: '@acme/jobs', type: 'commonjs' });
    expect(manifest.dependencies.celeriac).toBe('../celeriac-0.1.0.tgz');
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
