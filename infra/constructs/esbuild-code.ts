/**
 * Lambda code built from one entry file with esbuild's JavaScript API, in the synthesizing process (no Docker).
 *
 * ES module output is split (`splitting: true`): `index.mjs` holds what the entry imports statically, and every
 * module reached only through a dynamic `import()` (celeriac loads the S3, EventBridge and Scheduler clients that
 * way) goes to a chunk under `chunks/`, loaded on first use. A cold start then compiles only the code it runs,
 * which `NodejsFunction` cannot give: it always bundles into one `--outfile`, inlining every dynamic import.
 * CommonJS output is one `index.js` (esbuild splits ES modules only). The asset hash is the hash of the output.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AssetHashType, type BundlingOptions, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions, Charset, Loader, LogLevel, Metafile } from 'esbuild';
import type { FunctionBundlingOptions } from './bundling-options.js';

type Esbuild = typeof import('esbuild');

/** One function's entry and the effective bundling options it is built with. */
export interface EsbuildEntry {
  /** Path to the entry file, relative to the working directory or absolute. */
  readonly entry: string;
  /** The function's runtime, which gives the default esbuild `target`. */
  readonly runtime: lambda.Runtime;
  /** The effective options (`workerBundling(props.bundling)`). */
  readonly bundling: FunctionBundlingOptions;
}

/** The code of a function built by {@link esbuildCode}, and the handler string that names its export. */
export interface EsbuildCode {
  readonly code: lambda.Code;
  /** `index.<export>`: Lambda finds `index.mjs` (or `index.js`) at the root of the bundle. */
  readonly handler: string;
}

/** The esbuild `target` of a Node.js runtime, as `NodejsFunction` derives it: `node24` for `nodejs24.x`. */
export function nodeTarget(runtime: lambda.Runtime): string {
  const major = /^nodejs(\d+)\.x$/.exec(runtime.name)?.[1];
  if (major === undefined) {
    throw new Error(
      `Cannot derive an esbuild target from the runtime ${runtime.name}: expected a Node.js runtime such as ` +
        'nodejs24.x. Use a Node.js runtime, or set `bundling.target` (e.g. `node24`).',
    );
  }
  return `node${major}`;
}

function sourceMapOf(bundling: FunctionBundlingOptions): BuildOptions['sourcemap'] {
  if (bundling.sourceMap !== true) return false;
  switch (bundling.sourceMapMode) {
    case undefined:
    case nodejs.SourceMapMode.DEFAULT:
      return 'linked';
    case nodejs.SourceMapMode.EXTERNAL:
      return 'external';
    case nodejs.SourceMapMode.INLINE:
      return 'inline';
    case nodejs.SourceMapMode.BOTH:
      return 'both';
  }
}

/**
 * The esbuild options a function's code is built with (everything but `outdir`), from its entry, runtime and
 * effective bundling options: the construct's build and `npm run bench:cold-start` both use them.
 *
 * @example
 * const options = esbuildBuildOptions({ entry: 'functions/worker.ts', runtime, bundling: workerBundling(undefined) });
 * // options.splitting === true, options.entryNames === 'index', options.outExtension === { '.js': '.mjs' }
 */
export function esbuildBuildOptions(input: EsbuildEntry): BuildOptions {
  const { bundling } = input;
  const esm = bundling.format !== nodejs.OutputFormat.CJS;
  return {
    entryPoints: [path.resolve(input.entry)],
    bundle: true,
    platform: 'node',
    target: bundling.target ?? nodeTarget(input.runtime),
    format: esm ? 'esm' : 'cjs',
    entryNames: 'index',
    ...(esm ? { splitting: true, chunkNames: 'chunks/[name]-[hash]', outExtension: { '.js': '.mjs' } } : {}),
    ...(bundling.mainFields !== undefined ? { mainFields: [...bundling.mainFields] } : {}),
    ...(bundling.banner !== undefined ? { banner: { js: bundling.banner } } : {}),
    ...(bundling.footer !== undefined ? { footer: { js: bundling.footer } } : {}),
    external: [...(bundling.externalModules ?? [])],
    minify: bundling.minify ?? false,
    keepNames: bundling.keepNames ?? false,
    sourcemap: sourceMapOf(bundling),
    sourcesContent: bundling.sourcesContent ?? true,
    ...(bundling.define !== undefined ? { define: { ...bundling.define } } : {}),
    ...(bundling.loader !== undefined ? { loader: { ...bundling.loader } as Record<string, Loader> } : {}),
    ...(bundling.tsconfig !== undefined ? { tsconfig: path.resolve(bundling.tsconfig) } : {}),
    ...(bundling.charset !== undefined ? { charset: bundling.charset as Charset } : {}),
    ...(bundling.inject !== undefined ? { inject: bundling.inject.map((file) => path.resolve(file)) } : {}),
    logLevel: (bundling.logLevel ?? nodejs.LogLevel.WARNING) as LogLevel,
  };
}

/** Loads the `esbuild` package: the one celeriac resolves, else the one next to the entry. */
function loadEsbuild(entry: string): Esbuild {
  let failure: unknown;
  for (const from of [import.meta.url, entry]) {
    try {
      return createRequire(from)('esbuild') as Esbuild;
    } catch (error) {
      failure ??= error;
    }
  }
  throw new Error(
    "celeriac bundles Lambda functions with esbuild's JavaScript API, in the process that runs `cdk synth` " +
      `(no Docker), and could not load the \`esbuild\` package (${String(failure)}). Install it in your ` +
      'project: `npm install --save-dev esbuild`.',
    { cause: failure },
  );
}

/**
 * Builds `input.entry` into `outdir` with {@link esbuildBuildOptions} and returns esbuild's metafile; with
 * `bundling.metafile` it is also written to `outdir/index.meta.json`.
 */
export function bundleEntry(input: EsbuildEntry, outdir: string): Metafile {
  const esbuild = loadEsbuild(path.resolve(input.entry));
  const result = esbuild.buildSync({ ...esbuildBuildOptions(input), outdir, metafile: true });
  if (input.bundling.metafile === true) {
    writeFileSync(path.join(outdir, 'index.meta.json'), JSON.stringify(result.metafile));
  }
  return result.metafile;
}

/** One side of an esbuild metafile, `metafile.outputs` or `metafile.inputs`: each file and what it imports. */
export type ImportGraph = Readonly<
  Record<string, { readonly imports: Metafile['outputs'][string]['imports'] }>
>;

/**
 * The files that load with `start`: it and its static imports, transitively (dynamic `import()`s load later, on
 * first use), in an esbuild metafile's `outputs` (a build's files) or `inputs` (built files read back).
 */
export function staticClosure(graph: ImportGraph, start: string): Set<string> {
  const loaded = new Set<string>();
  const visit = (file: string): void => {
    if (loaded.has(file)) return;
    loaded.add(file);
    for (const imported of graph[file]?.imports ?? []) {
      if (imported.kind === 'import-statement' && imported.external !== true) visit(imported.path);
    }
  };
  visit(start);
  return loaded;
}

/**
 * Asset bundling that always runs locally. Its `esbuild` field, the build options, is part of what CDK's asset
 * cache keys on, so two functions built differently from one directory never share a bundle.
 */
class EsbuildBundling implements BundlingOptions {
  /** Never pulled: `local` always bundles (or throws). */
  readonly image = DockerImage.fromRegistry('celeriac-bundles-locally-with-esbuild');
  readonly local: ILocalBundling;
  readonly esbuild: BuildOptions;

  constructor(input: EsbuildEntry) {
    this.esbuild = esbuildBuildOptions(input);
    this.local = {
      tryBundle(outputDir: string): boolean {
        bundleEntry(input, outputDir);
        return true;
      },
    };
  }
}

/**
 * Lambda code for `input.entry`, bundled with esbuild during synthesis (see the module comment), and the handler
 * string for its export `handler`.
 *
 * @example
 * const { code, handler } = esbuildCode({ entry, handler: 'handler', runtime, bundling: workerBundling(undefined) });
 * new lambda.Function(scope, 'Worker', { code, handler, runtime });
 */
export function esbuildCode(input: EsbuildEntry & { readonly handler: string }): EsbuildCode {
  const entry = path.resolve(input.entry);
  const code = lambda.Code.fromAsset(path.dirname(entry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: new EsbuildBundling({ ...input, entry }),
  });
  return { code, handler: `index.${input.handler}` };
}
