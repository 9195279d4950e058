/**
 * The worker's bundle, built for real by `cdk synth`: split ES module chunks (only what the handler imports
 * statically loads at init), minified with names kept, the AWS SDK inside, the `require` banner valid in every
 * file; the CommonJS and source-map overrides; and the bundling keys celeriac refuses.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, DockerImage, type Stack } from 'aws-cdk-lib';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticClosure } from '../../infra/constructs/esbuild-code.js';
import {
  CallerFunction,
  CeleriacConfigurationError,
  ResultStore,
  TaskQueue,
  type TaskQueueWorkerProps,
} from '../../infra/index.js';
import { logicalIdOf, newStack, WORKER_ENTRY } from './helpers.js';

/** Cloud assembly directories to remove after the run (the bundled SDK is a few MB each). */
const outdirs: string[] = [];
afterAll(() => {
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

/** An import or require of the SQS client, which a bundle that includes the SDK does not contain. */
const IMPORTS_CLIENT_SQS = /(?:require\(|import\(|from)\s*["']@aws-sdk\/client-sqs["']/;

/** The S3 client's service name, which its command builder passes as a string and minification keeps. */
const S3_CLIENT_MARKER = 'AmazonS3';

const BANNER_START = "import { createRequire as __celeriacCreateRequire } from 'node:module';";

const SDK_ENTRY = path.join(import.meta.dirname, 'fixtures', 'sdk-handler.ts');

/** Synthesizes a worker with real esbuild bundling and returns the bundle directory. */
function bundleWorker(worker: Partial<TaskQueueWorkerProps>): string {
  const outdir = mkdtempSync(path.join(tmpdir(), 'celeriac-infra-'));
  outdirs.push(outdir);
  const stack: Stack = newStack({ bundle: true, outdir });
  const tasks = new TaskQueue(stack, 'Tasks', {
    resultStore: new ResultStore(stack, 'Results'),
    worker: { entry: SDK_ENTRY, ...worker },
  });
  const app = stack.node.root;
  if (!(app instanceof App)) throw new Error('the stack is not in an App');
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, { Metadata?: Record<string, string> }>;
  };
  const assetPath = template.Resources[logicalIdOf(tasks.workerFunction)]?.Metadata?.['aws:asset:path'];
  if (assetPath === undefined) throw new Error('the worker function has no asset metadata');
  return path.join(assembly.directory, assetPath);
}

/** Every file in the bundle, as paths relative to it (`index.mjs`, `chunks/chunk-X.mjs`, ...), sorted. */
function filesOf(bundle: string): string[] {
  return readdirSync(bundle, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(bundle, path.join(entry.parentPath, entry.name)))
    .sort();
}

/**
 * The bundle's files that load with `index.mjs` (its static imports, transitively): read from the files
 * themselves, by having esbuild parse them and list each one's imports with their kind.
 */
function loadedAtInit(bundle: string): string[] {
  const { metafile } = buildSync({
    entryPoints: [path.join(bundle, 'index.mjs')],
    absWorkingDir: bundle,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
  });
  return [...staticClosure(metafile.inputs, 'index.mjs')].sort();
}

interface SdkFixture {
  readonly errorClassName: string;
  readonly s3ClientName: () => Promise<string>;
  readonly pathSeparator: () => Promise<string>;
}

describe('worker bundling defaults', () => {
  let bundle: string;
  beforeAll(() => {
    bundle = bundleWorker({});
  });

  it('emits index.mjs and the chunks it loads, minified, without source maps', () => {
    const files = filesOf(bundle);
    expect(files).toContain('index.mjs');
    const chunks = files.filter((file) => file !== 'index.mjs');
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) expect(chunk).toMatch(/^chunks\/[\w-]+-[A-Z0-9]+\.mjs$/);
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    // Minified: a handful of very long lines, not one statement per line.
    const lines = readFileSync(path.join(bundle, 'index.mjs'), 'utf8').split('\n');
    expect(lines.length).toBeLessThan(100);
  });

  it('keeps class names through minification, so an error is stored under its own exc_type', async () => {
    const bundled = (await import(pathToFileURL(path.join(bundle, 'index.mjs')).href)) as SdkFixture;
    expect(bundled.errorClassName).toBe('PaymentDeclined');
    expect(await bundled.s3ClientName()).toBe('S3Client');
  });

  it('leaves a lazily imported SDK client out of what index.mjs loads, in a chunk loaded on first use', () => {
    const loaded = loadedAtInit(bundle);
    expect(loaded).toContain('index.mjs');
    const read = (file: string): string => readFileSync(path.join(bundle, file), 'utf8');
    for (const file of loaded) expect(read(file)).not.toContain(S3_CLIENT_MARKER);
    const lazy = filesOf(bundle).filter((file) => !loaded.includes(file));
    expect(lazy.filter((file) => read(file).includes(S3_CLIENT_MARKER))).not.toEqual([]);
    // The statically imported SQS client is loaded at init: its JSON protocol's target prefix.
    expect(loaded.some((file) => read(file).includes('AmazonSQS'))).toBe(true);
  });

  it('defines require through createRequire at the top of every output file, once in each', async () => {
    for (const file of filesOf(bundle)) {
      expect(readFileSync(path.join(bundle, file), 'utf8').startsWith(BANNER_START), file).toBe(true);
      // A second top-level `require` (the fixture's own-require module has one) would be a SyntaxError.
      execFileSync(process.execPath, ['--check', path.join(bundle, file)]);
    }
    const bundled = (await import(pathToFileURL(path.join(bundle, 'index.mjs')).href)) as SdkFixture;
    expect(await bundled.pathSeparator()).toBe(path.sep);
  });

  it('bundles the AWS SDK instead of importing it from the runtime', () => {
    for (const file of filesOf(bundle)) {
      const code = readFileSync(path.join(bundle, file), 'utf8');
      expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
      expect(code).not.toMatch(/import\(\s*["']@aws-sdk\//);
      expect(code).not.toMatch(IMPORTS_CLIENT_SQS);
    }
  });
});

describe("the demo worker's bundle", () => {
  /** The Node built-ins imported by the files `index.mjs` loads at init. */
  let builtinsAtInit: Set<string>;
  beforeAll(() => {
    const bundle = bundleWorker({
      entry: path.join(import.meta.dirname, '..', '..', 'functions', 'worker.ts'),
    });
    builtinsAtInit = new Set(
      loadedAtInit(bundle).flatMap((file) =>
        [...readFileSync(path.join(bundle, file), 'utf8').matchAll(/from\s*["'](node:[\w/]+)["']/g)].map(
          (match) => match[1] ?? '',
        ),
      ),
    );
  });

  it('loads at init only the built-ins a task needs: not node:util, whose import loads a dozen more modules', () => {
    // Each of these costs a cold start milliseconds of compiling Node's own modules, for a path a task
    // seldom takes (worker threads and child processes are the CLI's pools; parseArgs is the CLI's).
    for (const builtin of ['node:util', 'node:worker_threads', 'node:child_process']) {
      expect(builtinsAtInit.has(builtin), builtin).toBe(false);
    }
    // What a task does need is there, so the scan reads the bundle's imports at all.
    expect(builtinsAtInit.has('node:crypto')).toBe(true);
  });
});

describe('worker bundling overrides', () => {
  it('emits a source map for every output file with bundling.sourceMap', () => {
    const bundle = bundleWorker({ bundling: { sourceMap: true } });
    const files = filesOf(bundle);
    const code = files.filter((file) => file.endsWith('.mjs'));
    expect(code.length).toBeGreaterThan(1);
    expect(files.filter((file) => file.endsWith('.map'))).toEqual(code.map((file) => `${file}.map`).sort());
  });

  it('emits one CommonJS index.js, without the ES module banner, when the format is overridden', () => {
    const bundle = bundleWorker({ bundling: { format: nodejs.OutputFormat.CJS } });
    expect(filesOf(bundle)).toEqual(['index.js']);
    const code = readFileSync(path.join(bundle, 'index.js'), 'utf8');
    expect(code).not.toContain('__celeriacCreateRequire');
    expect(code).not.toMatch(IMPORTS_CLIENT_SQS);
    expect(code).toContain(S3_CLIENT_MARKER);
  });

  it('writes esbuild metafile as index.meta.json with bundling.metafile', () => {
    const bundle = bundleWorker({ bundling: { metafile: true } });
    const metafile = JSON.parse(readFileSync(path.join(bundle, 'index.meta.json'), 'utf8')) as {
      outputs: Record<string, unknown>;
    };
    expect(Object.keys(metafile.outputs).some((file) => file.endsWith('index.mjs'))).toBe(true);
  });
});

describe('bundling keys celeriac does not support', () => {
  /** Builds a worker (and a caller) with `bundling`, without bundling, and returns the error. */
  function rejection(bundling: nodejs.BundlingOptions, construct: 'worker' | 'caller' = 'worker'): unknown {
    const stack = newStack();
    try {
      if (construct === 'worker') {
        new TaskQueue(stack, 'Tasks', {
          resultStore: new ResultStore(stack, 'Results'),
          worker: { entry: WORKER_ENTRY, bundling },
        });
      } else {
        new CallerFunction(stack, 'Api', { entry: WORKER_ENTRY, bundling });
      }
    } catch (error) {
      return error;
    }
    throw new Error(`bundling ${JSON.stringify(bundling)} was accepted`);
  }

  it('refuses nodeModules, naming the key and why, and saying what to do instead', () => {
    const error = rejection({ nodeModules: ['sharp'] });
    expect(error).toBeInstanceOf(CeleriacConfigurationError);
    expect(error).toMatchObject({ prop: 'worker.bundling.nodeModules', value: '["sharp"]' });
    expect((error as Error).message).toMatch(
      /^TaskQueue Demo\/Tasks: `worker\.bundling\.nodeModules` \(\["sharp"\]\) is not supported: celeriac bundles the function with esbuild's API instead of `NodejsFunction`, to split the code into chunks/,
    );
    expect((error as Error).message).toMatch(
      /list it in `externalModules` and provide it from a Lambda layer/,
    );
    expect((error as Error).message).toMatch(/The supported keys are minify, sourceMap, .*inject\.$/);
  });

  it('refuses the Docker options, esbuildArgs and commandHooks, on the caller function too', () => {
    expect(rejection({ dockerImage: DockerImage.fromRegistry('node:22') })).toMatchObject({
      prop: 'worker.bundling.dockerImage',
      value: 'an object',
      message: expect.stringMatching(/Remove it: celeriac bundles locally, without Docker\./),
    });
    expect(rejection({ forceDockerBundling: false })).toMatchObject({
      prop: 'worker.bundling.forceDockerBundling',
    });
    expect(rejection({ esbuildArgs: { '--log-limit': '0' } }, 'caller')).toMatchObject({
      prop: 'bundling.esbuildArgs',
      message: expect.stringMatching(
        /^CallerFunction Demo\/Api: .*Use the matching key \(`define`, `loader`/,
      ),
    });
    expect(
      rejection({
        commandHooks: { beforeBundling: () => [], beforeInstall: () => [], afterBundling: () => [] },
      }),
    ).toMatchObject({ prop: 'worker.bundling.commandHooks' });
  });

  it('refuses sourceMapMode without sourceMap, since source maps are off by default', () => {
    expect(rejection({ sourceMapMode: nodejs.SourceMapMode.INLINE })).toMatchObject({
      prop: 'worker.bundling.sourceMapMode',
      message: expect.stringMatching(/needs `sourceMap: true`/),
    });
  });

  it('lets a TypeScript caller see an unsupported key at compile time', () => {
    const stack = newStack();
    const worker: TaskQueueWorkerProps = {
      entry: WORKER_ENTRY,
      // @ts-expect-error nodeModules is not a key of FunctionBundlingOptions
      bundling: { nodeModules: ['sharp'] },
    };
    expect(
      () => new TaskQueue(stack, 'Tasks', { resultStore: new ResultStore(stack, 'Results'), worker }),
    ).toThrow(CeleriacConfigurationError);
  });

  it('ignores keys set to undefined', () => {
    const stack = newStack();
    const bundling: nodejs.BundlingOptions = { nodeModules: undefined, minify: undefined };
    expect(
      () =>
        new TaskQueue(stack, 'Tasks', {
          resultStore: new ResultStore(stack, 'Results'),
          worker: { entry: WORKER_ENTRY, bundling },
        }),
    ).not.toThrow();
  });
});

describe('worker entry', () => {
  it('refuses an entry that is not a file, with the path it resolved to', () => {
    const stack = newStack();
    expect(
      () =>
        new TaskQueue(stack, 'Tasks', {
          resultStore: new ResultStore(stack, 'Results'),
          worker: { entry: 'functions/missing.ts' },
        }),
    ).toThrow(
      /`worker\.entry` \("functions\/missing\.ts"\) is not a file \(resolved to \/.*functions\/missing\.ts\)/,
    );
  });
});
