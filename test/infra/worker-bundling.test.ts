import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, type Stack } from 'aws-cdk-lib';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultStore, TaskQueue, type TaskQueueWorkerProps } from '../../infra/index.js';
import { logicalIdOf, newStack } from './helpers.js';

/** Cloud assembly directories to remove after the run (the bundled SDK is a few MB each). */
const outdirs: string[] = [];
afterAll(() => {
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

/** An import or require of the SQS client, which a bundle that includes the SDK does not contain. */
const IMPORTS_CLIENT_SQS = /(?:require\(|import\(|from)\s*["']@aws-sdk\/client-sqs["']/;

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

describe('worker bundling defaults', () => {
  let bundle: string;
  beforeAll(() => {
    bundle = bundleWorker({});
  });

  it('emits a minified ES module without a source map', () => {
    expect(existsSync(path.join(bundle, 'index.mjs'))).toBe(true);
    expect(existsSync(path.join(bundle, 'index.mjs.map'))).toBe(false);
    // Minified: a handful of very long lines, not one statement per line.
    const lines = readFileSync(path.join(bundle, 'index.mjs'), 'utf8').split('\n');
    expect(lines.length).toBeLessThan(100);
  });

  it('keeps class names through minification, so an error is stored under its own exc_type', async () => {
    const bundled = (await import(pathToFileURL(path.join(bundle, 'index.mjs')).href)) as {
      errorClassName: string;
    };
    expect(bundled.errorClassName).toBe('PaymentDeclined');
  });

  it('defines require through createRequire for CommonJS dependencies', () => {
    const code = readFileSync(path.join(bundle, 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire as __celeriacCreateRequire } from 'node:module';")).toBe(
      true,
    );
  });

  it('bundles the AWS SDK instead of importing it from the runtime', () => {
    const code = readFileSync(path.join(bundle, 'index.mjs'), 'utf8');
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
    expect(code).not.toMatch(IMPORTS_CLIENT_SQS);
    // The SDK's own SQS client is inside: its JSON protocol's target prefix survives minification.
    expect(code).toContain('AmazonSQS');
  });
});

describe('worker bundling overrides', () => {
  it('emits a source map with bundling.sourceMap', () => {
    const bundle = bundleWorker({ bundling: { sourceMap: true } });
    expect(existsSync(path.join(bundle, 'index.mjs.map'))).toBe(true);
  });

  it('emits CommonJS without the ES module banner when the format is overridden', () => {
    const bundle = bundleWorker({ bundling: { format: nodejs.OutputFormat.CJS } });
    expect(existsSync(path.join(bundle, 'index.js'))).toBe(true);
    const code = readFileSync(path.join(bundle, 'index.js'), 'utf8');
    expect(code).not.toContain('__celeriacCreateRequire');
    expect(code).not.toMatch(IMPORTS_CLIENT_SQS);
  });
});
