/**
 * The package as users get it: `npm pack`, installed from the tarball into a fresh CommonJS project (what
 * `npm init -y` and `cdk init app --language typescript` create) and into a fresh ES module project. Every entry
 * point loads in both, with `require` and with `import`, and the package carries its licence and its docs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'celeriac-package-'));
let tarball = '';

/** Runs a command, returning its stdout; the error names the command and carries its stderr. */
function run(command: string, args: readonly string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A fresh project of `type` with the tarball and the CDK peers installed. */
function project(name: string, type: 'commonjs' | 'module'): string {
  const dir = path.join(work, name);
  run('mkdir', ['-p', dir], work);
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', private: true, type }),
  );
  const peers = ['aws-cdk-lib', 'constructs'].map((peer) => {
    const version = (JSON.parse(run('npm', ['pkg', 'get', `devDependencies.${peer}`], root)) as string) ?? '';
    return `${peer}@${version}`;
  });
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, ...peers], dir);
  return dir;
}

const ENTRY_POINTS = {
  celeriac: 'createApp',
  'celeriac/protocol': 'encodeTaskMessage',
  'celeriac/lambda': 'createSqsHandler',
  'celeriac/testing': 'createMemoryTransport',
  'celeriac/worker': 'runWorker',
  'celeriac/cdk': 'TaskQueue',
} as const;

const loadAll = (how: 'require' | 'import'): string =>
  Object.entries(ENTRY_POINTS)
    .map(([specifier, name]) =>
      how === 'require'
        ? `console.log(${JSON.stringify(specifier)}, typeof require(${JSON.stringify(specifier)}).${name});`
        : `console.log(${JSON.stringify(specifier)}, typeof (await import(${JSON.stringify(specifier)})).${name});`,
    )
    .join('\n');

const expected = Object.keys(ENTRY_POINTS)
  .map((specifier) => `${specifier} function`)
  .join('\n');

beforeAll(() => {
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root)) as {
    filename: string;
  }[];
  if (!packed) throw new Error('npm pack produced nothing');
  tarball = path.join(work, packed.filename);
}, 180_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('carries the licence, the docs and the build, and no tests or sources', () => {
    const files = run('tar', ['-tzf', tarball], work).split('\n').filter(Boolean);
    expect(files).toEqual(
      expect.arrayContaining(['package/LICENSE', 'package/README.md', 'package/docs/architecture.md']),
    );
    expect(files).toContain('package/dist/src/index.js');
    expect(files).toContain('package/dist/infra/index.js');
    expect(
      files.filter((file) => file.startsWith('package/test/') || file.startsWith('package/src/')),
    ).toEqual([]);
    // The sources are not shipped, so each source map carries its own: a stack trace or a debugger mapped
    // through it shows the TypeScript, not a path that is not in node_modules.
    const map = JSON.parse(run('tar', ['-xzOf', tarball, 'package/dist/src/errors.js.map'], work)) as {
      sources: string[];
      sourcesContent?: string[];
    };
    expect(map.sources).toEqual(['../../src/errors.ts']);
    expect(map.sourcesContent?.[0]).toContain('export class BackendError');
  });

  it('loads every entry point with require() in a CommonJS project', () => {
    const dir = project('cjs-app', 'commonjs');
    writeFileSync(path.join(dir, 'load.cjs'), loadAll('require'));
    expect(run('node', ['load.cjs'], dir).trim()).toBe(expected);
  }, 180_000);

  it('loads every entry point with import in an ES module project', () => {
    const dir = project('esm-app', 'module');
    writeFileSync(path.join(dir, 'load.mjs'), loadAll('import'));
    expect(run('node', ['load.mjs'], dir).trim()).toBe(expected);
    expect(readdirSync(path.join(dir, 'node_modules', 'celeriac'))).toEqual(
      expect.arrayContaining(['LICENSE', 'docs', 'dist', 'package.json']),
    );
  }, 180_000);
});
