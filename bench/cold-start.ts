/**
 * `npm run bench:cold-start`: what a Lambda worker's cold start pays for its code. Bundles the demo worker
 * (`functions/worker.ts`) with esbuild exactly as the `TaskQueue` construct does (`workerBundling`), in three
 * variants: the construct's default (minified, names kept, no source maps), with source maps (and
 * `--enable-source-maps`, as the construct sets with `sourceMap: true`), and not minified. For each it prints the
 * bundle's size split by package (esbuild's metafile) and the median time to import the bundle in a fresh Node
 * process (module parse and evaluation: Lambda's "init" minus the runtime's own start), over BENCH_COLD_RUNS
 * processes (default 15), alternating the variants.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { build, type Metafile } from 'esbuild';
import { workerBundling } from '../infra/constructs/worker-function.js';
import { repoRoot } from '../test/emulator/moto-server.js';
import { BENCH_ENV } from './fast-emulators.js';

const RUNS = Number(process.env.BENCH_COLD_RUNS || 15);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  throw new Error(`Expected BENCH_COLD_RUNS to be a whole number >= 1, got ${process.env.BENCH_COLD_RUNS}`);
}

interface Variant {
  readonly label: string;
  readonly bundling: nodejs.BundlingOptions;
  readonly nodeOptions?: string;
}

const VARIANTS: readonly Variant[] = [
  { label: 'construct default (minified, no source map)', bundling: workerBundling(undefined) },
  {
    label: 'with source map (--enable-source-maps)',
    bundling: workerBundling({ sourceMap: true }),
    nodeOptions: '--enable-source-maps',
  },
  { label: 'not minified, no source map', bundling: workerBundling({ minify: false }) },
];

/** Bundles the demo worker with the construct's options; returns the file and esbuild's metafile. */
async function bundle(variant: Variant, dir: string): Promise<{ file: string; metafile: Metafile }> {
  const { bundling } = variant;
  const outfile = path.join(dir, `${VARIANTS.indexOf(variant)}`, 'index.mjs');
  const result = await build({
    entryPoints: [path.join(repoRoot, 'functions', 'worker.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: bundling.format === 'cjs' ? 'cjs' : 'esm',
    ...(bundling.mainFields ? { mainFields: bundling.mainFields } : {}),
    ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
    minify: bundling.minify ?? false,
    keepNames: bundling.keepNames ?? false,
    sourcemap: bundling.sourceMap ?? false,
    metafile: true,
    logLevel: 'error',
  });
  return { file: outfile, metafile: result.metafile };
}

/** Bytes of output by package (`@aws-sdk/client-sqs`, `@smithy/*`, `celeriac` for this repository's code). */
function bytesByPackage(metafile: Metafile): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name = match?.[1] ?? 'celeriac';
      const group = name.startsWith('@smithy/')
        ? '@smithy/*'
        : name.startsWith('@aws-crypto/')
          ? '@aws-crypto/*'
          : name;
      sizes.set(group, (sizes.get(group) ?? 0) + bytesInOutput);
    }
  }
  return new Map([...sizes].sort(([, a], [, b]) => b - a));
}

const IMPORT_SCRIPT =
  'const t = performance.now(); await import(process.argv[1]); ' +
  'process.stdout.write(String(performance.now() - t));';

/** Milliseconds a fresh Node process takes to import the bundle. */
async function importMs(file: string, nodeOptions: string | undefined): Promise<number> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      ...(nodeOptions ? [nodeOptions] : []),
      '--input-type=module',
      '-e',
      IMPORT_SCRIPT,
      pathToFileURL(file).href,
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        ...BENCH_ENV,
        CELERIAC_RESULT_TABLE: 'celery',
      },
    },
  );
  return Number(stdout);
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'celeriac-cold-start-'));
  try {
    const bundles = [];
    for (const variant of VARIANTS) bundles.push({ variant, ...(await bundle(variant, dir)) });
    const times = bundles.map(() => [] as number[]);
    for (let run = 0; run < RUNS; run++) {
      for (const [i, b] of bundles.entries()) times[i]?.push(await importMs(b.file, b.variant.nodeOptions));
    }
    const lines = [
      '',
      `celeriac cold start: the demo worker bundled as TaskQueue bundles it; Node ${process.version}, median of ${RUNS} imports each`,
      '',
    ];
    for (const [i, b] of bundles.entries()) {
      const size = statSync(b.file).size;
      const map = b.variant.bundling.sourceMap ? statSync(`${b.file}.map`).size : 0;
      lines.push(
        `  ${b.variant.label}: import ${median(times[i] ?? []).toFixed(1)} ms, bundle ${kib(size)}` +
          (map ? ` + source map ${kib(map)}` : ''),
      );
    }
    const first = bundles[0];
    if (first) {
      lines.push('', '  bundle by package (construct default):');
      for (const [name, bytes] of bytesByPackage(first.metafile)) {
        if (bytes >= 4096) lines.push(`    ${name.padEnd(36)}${kib(bytes).padStart(10)}`);
      }
    }
    console.log(lines.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
