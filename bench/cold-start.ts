/**
 * `npm run bench:cold-start`: what a Lambda worker's cold start pays for its code. Bundles the demo worker
 * (`functions/worker.ts`) exactly as the `TaskQueue` construct does (`workerBundling`, then `bundleEntry`, the
 * construct's esbuild build: split ES module chunks), in three variants: the construct's default (minified, names
 * kept, no source maps), with source maps (and `--enable-source-maps`, as the construct sets with
 * `sourceMap: true`), and not minified. For each it prints the size of what `index.mjs` loads at init (itself and
 * the chunks it imports statically, transitively) against the whole output (with the chunks that load on first
 * use, through a dynamic `import()`), that split by package (esbuild's metafile), and the median time to import
 * `index.mjs` in a fresh Node process (module parse and evaluation of the static part: Lambda's "init" minus the
 * runtime's own start), over BENCH_COLD_RUNS processes (default 15), alternating the variants. The baseline,
 * built the same way, is `bench/sdk-floor-handler.ts`: a handler that makes a worker's calls with the raw SDK and
 * creates the same two clients at init, the floor of any worker on them.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import type { FunctionBundlingOptions } from '../infra/constructs/bundling-options.js';
import { bundleEntry, staticClosure } from '../infra/constructs/esbuild-code.js';
import { WORKER_DEFAULTS, workerBundling } from '../infra/constructs/worker-function.js';
import { repoRoot } from '../test/emulator/moto-server.js';
import { BENCH_ENV } from './fast-emulators.js';

const RUNS = Number(process.env.BENCH_COLD_RUNS || 15);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  throw new Error(`Expected BENCH_COLD_RUNS to be a whole number >= 1, got ${process.env.BENCH_COLD_RUNS}`);
}

interface Variant {
  readonly label: string;
  /** The handler bundled: the demo worker, or the raw-SDK baseline. */
  readonly entry: string;
  readonly bundling: FunctionBundlingOptions;
  readonly nodeOptions?: string;
}

const WORKER_ENTRY = path.join(repoRoot, 'functions', 'worker.ts');
const FLOOR_ENTRY = path.join(repoRoot, 'bench', 'sdk-floor-handler.ts');

const VARIANTS: readonly Variant[] = [
  {
    label: 'construct default (minified, no source map)',
    entry: WORKER_ENTRY,
    bundling: workerBundling(undefined),
  },
  {
    label: 'with source map (--enable-source-maps)',
    entry: WORKER_ENTRY,
    bundling: workerBundling({ sourceMap: true }),
    nodeOptions: '--enable-source-maps',
  },
  { label: 'not minified, no source map', entry: WORKER_ENTRY, bundling: workerBundling({ minify: false }) },
  {
    label: 'baseline: raw SDK handler, same bundling',
    entry: FLOOR_ENTRY,
    bundling: workerBundling(undefined),
  },
];
const DEFAULT_VARIANT = 0;
const FLOOR_VARIANT = VARIANTS.length - 1;

/** One variant's build: its `index.mjs`, esbuild's metafile, and the outputs `index.mjs` loads at init. */
interface Bundle {
  readonly variant: Variant;
  readonly file: string;
  readonly metafile: Metafile;
  /** Metafile output keys of `index.mjs` and the chunks it imports statically, transitively. */
  readonly atInit: ReadonlySet<string>;
}

/** Bundles the demo worker as the construct does, into its own directory under `dir`. */
function bundle(variant: Variant, dir: string): Bundle {
  const outdir = path.join(dir, `${VARIANTS.indexOf(variant)}`);
  const metafile = bundleEntry(
    {
      entry: variant.entry,
      runtime: WORKER_DEFAULTS.runtime,
      bundling: variant.bundling,
    },
    outdir,
  );
  // Metafile keys are relative to the working directory; chunks of dynamic imports are entry points too.
  const file = path.join(outdir, 'index.mjs');
  const entryOutput = Object.keys(metafile.outputs).find((output) => path.resolve(output) === file);
  if (entryOutput === undefined) throw new Error(`esbuild wrote no ${file}`);
  return {
    variant,
    file,
    metafile,
    atInit: staticClosure(metafile.outputs, entryOutput),
  };
}

/** Bytes of code in `outputs` (`.map` files apart), and of the source maps of that code. */
function bytesOf(metafile: Metafile, outputs: Iterable<string>): { code: number; maps: number } {
  let code = 0;
  let maps = 0;
  for (const output of outputs) {
    if (output.endsWith('.map')) continue;
    code += metafile.outputs[output]?.bytes ?? 0;
    maps += metafile.outputs[`${output}.map`]?.bytes ?? 0;
  }
  return { code, maps };
}

/** The package an input file belongs to (`@aws-sdk/client-sqs`, `@smithy/*`, `celeriac` for this repository). */
function packageOf(input: string): string {
  const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'celeriac';
  if (name.startsWith('@smithy/')) return '@smithy/*';
  if (name.startsWith('@aws-crypto/')) return '@aws-crypto/*';
  return name;
}

/** Bytes of output by package, in `outputs`. */
function bytesByPackage(metafile: Metafile, outputs: Iterable<string>): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const output of outputs) {
    for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[output]?.inputs ?? {})) {
      const name = packageOf(input);
      sizes.set(name, (sizes.get(name) ?? 0) + bytesInOutput);
    }
  }
  return sizes;
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
    const bundles = VARIANTS.map((variant) => bundle(variant, dir));
    const times = bundles.map(() => [] as number[]);
    for (let run = 0; run < RUNS; run++) {
      for (const [i, b] of bundles.entries()) times[i]?.push(await importMs(b.file, b.variant.nodeOptions));
    }
    const lines = [
      '',
      'celeriac cold start: the demo worker bundled as TaskQueue bundles it (split ES module chunks); the import',
      `loads index.mjs and the chunks it imports statically, as Lambda's init does. Node ${process.version}, median of ${RUNS} imports each`,
      '',
    ];
    for (const [i, b] of bundles.entries()) {
      const all = Object.keys(b.metafile.outputs);
      const init = bytesOf(b.metafile, b.atInit);
      const total = bytesOf(b.metafile, all);
      const files = all.filter((output) => !output.endsWith('.map')).length;
      lines.push(
        `  ${b.variant.label}: import ${median(times[i] ?? []).toFixed(1)} ms, bundle ${kib(init.code)} loaded ` +
          `at init (${b.atInit.size} of ${files} files), ${kib(total.code)} in all` +
          (total.maps ? `; source map ${kib(init.maps)} at init, ${kib(total.maps)} in all` : ''),
      );
    }
    const celeriacMs = median(times[DEFAULT_VARIANT] ?? []);
    const floorMs = median(times[FLOOR_VARIANT] ?? []);
    lines.push(
      '',
      `  construct default vs the raw-SDK baseline: ${(celeriacMs / floorMs).toFixed(2)}x, ` +
        `${(celeriacMs - floorMs).toFixed(1)} ms more (the baseline creates the same two SDK clients at init)`,
    );
    const first = bundles[DEFAULT_VARIANT];
    if (first) {
      const atInit = bytesByPackage(first.metafile, first.atInit);
      const inAll = bytesByPackage(first.metafile, Object.keys(first.metafile.outputs));
      lines.push(
        '',
        `  bundle by package (construct default)${'at init'.padStart(11)}${'in all'.padStart(10)}`,
      );
      for (const [name, bytes] of [...inAll].sort(([, a], [, b]) => b - a)) {
        if (bytes < 4096) continue;
        lines.push(
          `    ${name.padEnd(36)}${kib(atInit.get(name) ?? 0).padStart(10)}${kib(bytes).padStart(10)}`,
        );
      }
    }
    console.log(lines.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
