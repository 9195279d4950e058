import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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

  it('emits an ES module with a source map', () => {
    expect(existsSync(path.join(bundle, 'index.mjs'))).toBe(true);
    expect(existsSync(path.join(bundle, 'index.mjs.map'))).toBe(true);
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
    expect(code).toMatch(/class SQSClient\b|var SQSClient = class/);
  });
});

describe('worker bundling overrides', () => {
  it('emits CommonJS without the ES module banner when the format is overridden', () => {
    const bundle = bundleWorker({ bundling: { format: nodejs.OutputFormat.CJS } });
    expect(existsSync(path.join(bundle, 'index.js'))).toBe(true);
    const code = readFileSync(path.join(bundle, 'index.js'), 'utf8');
    expect(code).not.toContain('__celeriacCreateRequire');
    expect(code).not.toMatch(IMPORTS_CLIENT_SQS);
  });
});
