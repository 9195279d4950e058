/**
 * The bundling options a celeriac Lambda function accepts, and their validation.
 *
 * celeriac bundles a function's entry with esbuild's JavaScript API instead of `NodejsFunction`, because
 * `NodejsFunction` always writes one `--outfile`: every lazily loaded module (the S3 client, EventBridge,
 * Scheduler, ...) is then inlined into one file that V8 compiles at every cold start. With esbuild's code
 * splitting those modules become chunks that load on first use. The keys below are the `NodejsFunction`
 * bundling options that map onto esbuild options; the others (Docker, `nodeModules`, command hooks, raw
 * `esbuildArgs`) have no place in that build and are refused at synth with a message that says what to do.
 */
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { PropValidator } from './validation.js';

/**
 * esbuild options of a celeriac Lambda function (`TaskQueueWorkerProps.bundling`, `CallerFunctionProps.bundling`):
 * the keys of `nodejs.BundlingOptions` that map onto esbuild's own options, with the same meaning. They are merged
 * over celeriac's defaults: split ES module chunks, minified with names kept, the AWS SDK bundled, no source maps.
 *
 * @example
 * worker: {
 *   entry: 'functions/worker.ts',
 *   bundling: { sourceMap: true, define: { 'process.env.STAGE': JSON.stringify('prod') } },
 * }
 */
export interface FunctionBundlingOptions {
  /**
   * Minify the output (whitespace, identifiers and syntax). A smaller bundle parses faster at cold start.
   *
   * @default true
   */
  readonly minify?: boolean;

  /**
   * Emit source maps (a `.map` file next to each output file). The function then gets
   * `NODE_OPTIONS=--enable-source-maps` unless `environment` sets `NODE_OPTIONS`. Both cost cold-start time
   * (`npm run bench:cold-start`).
   *
   * @default false
   */
  readonly sourceMap?: boolean;

  /**
   * How source maps are emitted (esbuild's `sourcemap`): `DEFAULT` links each `.map` file from its output file,
   * `EXTERNAL` writes the files without the link, `INLINE` puts the map in the output file, `BOTH` does both.
   * Needs `sourceMap: true`.
   *
   * @default SourceMapMode.DEFAULT
   */
  readonly sourceMapMode?: nodejs.SourceMapMode;

  /**
   * Include the original source code in the source maps.
   *
   * @default true
   */
  readonly sourcesContent?: boolean;

  /**
   * esbuild's target environment, e.g. `node24`.
   *
   * @default - the Node.js version of the function's runtime (`node24` for `nodejs24.x`)
   */
  readonly target?: string;

  /**
   * Keep the `name` of functions and classes through minification. A task's exception is stored with its class
   * name as `exc_type`, which Python Celery reads: leave it on.
   *
   * @default true
   */
  readonly keepNames?: boolean;

  /**
   * Modules left out of the bundle and imported from the runtime at run time (e.g. `['@aws-sdk/*']` to use the
   * SDK of the Lambda runtime).
   *
   * @default [] - everything is bundled, the AWS SDK at the version in your lock file (so an emulator's Lambda
   * executor needs no SDK of its own)
   */
  readonly externalModules?: readonly string[];

  /**
   * Replace global identifiers with constant expressions, e.g. `{ 'process.env.STAGE': '"prod"' }`.
   *
   * @default - no replacements
   */
  readonly define?: Readonly<Record<string, string>>;

  /**
   * esbuild loaders by file extension, e.g. `{ '.sql': 'text' }`.
   *
   * @default - esbuild's default loaders
   */
  readonly loader?: Readonly<Record<string, string>>;

  /**
   * Text put at the top of every output file (each chunk, too). Replaces celeriac's banner, which defines
   * `require` in ES module output for CommonJS dependencies that call it; keep an equivalent if you set it.
   *
   * @default - ES module output: `const require = createRequire(import.meta.url)` (and its import); CommonJS
   * output: none
   */
  readonly banner?: string;

  /**
   * Text put at the end of every output file.
   *
   * @default - none
   */
  readonly footer?: string;

  /**
   * The package.json fields esbuild reads to find a package's entry point, in order.
   *
   * @default - ES module output: `['module', 'main']`; CommonJS output: esbuild's default for Node.js
   */
  readonly mainFields?: readonly string[];

  /**
   * Output format. ES module output is split into chunks (`index.mjs` plus `chunks/*.mjs`), so a cold start
   * compiles only the code it imports; CommonJS output (`OutputFormat.CJS`) is one `index.js`, as esbuild splits
   * ES modules only.
   *
   * @default OutputFormat.ESM
   */
  readonly format?: nodejs.OutputFormat;

  /**
   * A `tsconfig.json` to use instead of the one esbuild finds next to each file, relative to the directory
   * `cdk synth` runs in.
   *
   * @default - found by esbuild
   */
  readonly tsconfig?: string;

  /**
   * Charset of the output: ASCII escapes non-ASCII characters, UTF8 keeps them.
   *
   * @default Charset.ASCII
   */
  readonly charset?: nodejs.Charset;

  /**
   * esbuild's log level during `cdk synth`.
   *
   * @default LogLevel.WARNING
   */
  readonly logLevel?: nodejs.LogLevel;

  /**
   * Write esbuild's metafile (the inputs and size of every output file) as `index.meta.json` next to the bundle.
   *
   * @default false
   */
  readonly metafile?: boolean;

  /**
   * Files whose exports esbuild injects as globals into every input file, relative to the directory `cdk synth`
   * runs in.
   *
   * @default - none
   */
  readonly inject?: readonly string[];
}

/** Every key of {@link FunctionBundlingOptions}, which a function's `bundling` may set. */
export const SUPPORTED_BUNDLING_KEYS: readonly (keyof FunctionBundlingOptions)[] = [
  'minify',
  'sourceMap',
  'sourceMapMode',
  'sourcesContent',
  'target',
  'keepNames',
  'externalModules',
  'define',
  'loader',
  'banner',
  'footer',
  'mainFields',
  'format',
  'tsconfig',
  'charset',
  'logLevel',
  'metafile',
  'inject',
];

/** `nodejs.BundlingOptions` keys that only configure Docker bundling, which celeriac never uses. */
const DOCKER_KEYS: readonly string[] = [
  'forceDockerBundling',
  'dockerImage',
  'buildArgs',
  'bundlingFileAccess',
  'entrypoint',
  'command',
  'volumes',
  'volumesFrom',
  'environment',
  'workingDirectory',
  'user',
  'securityOpt',
  'network',
  'platform',
];

/** What to do instead of an unsupported key, for the keys with a better answer than "remove it". */
const INSTEAD: Readonly<Record<string, string>> = {
  nodeModules:
    'to ship a package unbundled, list it in `externalModules` and provide it from a Lambda layer, or let ' +
    'esbuild bundle it',
  esbuildArgs:
    'use the matching key (`define`, `loader`, `banner`, `mainFields`, ...) instead; an esbuild option ' +
    'without one cannot be set',
  esbuildVersion: 'celeriac uses the `esbuild` installed in your project: pin its version in package.json',
  commandHooks: 'run those commands before `cdk synth` instead',
  preCompilation: 'type-check with `tsc --noEmit` before `cdk synth` instead; esbuild strips the types',
  assetHash: 'remove it: the asset hash is computed from the bundle celeriac writes',
  bundleAwsSDK:
    'remove it: the AWS SDK is bundled already (`externalModules` defaults to `[]`); set `externalModules: ' +
    "['@aws-sdk/*']` to use the runtime's SDK instead",
};

/** Renders a bundling value for a message: JSON for plain data, `an object` for an instance of a class. */
function describeBundlingValue(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const prototype = Object.getPrototypeOf(value) as object | null;
    if (prototype !== Object.prototype && prototype !== null) return 'an object';
  }
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/**
 * Refuses every key of `bundling` that is set and not a {@link FunctionBundlingOptions} key (a JavaScript caller,
 * or a `nodejs.BundlingOptions` object, can pass any), and `sourceMapMode` without `sourceMap: true`. `prop` is
 * the prop's path in messages, e.g. `worker.bundling`.
 */
export function validateBundling(
  validate: PropValidator,
  prop: string,
  bundling: FunctionBundlingOptions | undefined,
): void {
  if (bundling === undefined) return;
  for (const [key, value] of Object.entries(bundling)) {
    if (value === undefined || (SUPPORTED_BUNDLING_KEYS as readonly string[]).includes(key)) continue;
    const instead = DOCKER_KEYS.includes(key)
      ? 'remove it: celeriac bundles locally, without Docker'
      : (INSTEAD[key] ?? 'remove it');
    validate.fail(
      `${prop}.${key}`,
      describeBundlingValue(value),
      "is not supported: celeriac bundles the function with esbuild's API instead of `NodejsFunction`, to split " +
        'the code into chunks that load when first used (a shorter cold start), and this `NodejsFunction` ' +
        'option has no esbuild equivalent. ' +
        `${instead[0]?.toUpperCase()}${instead.slice(1)}. The supported keys are ` +
        `${SUPPORTED_BUNDLING_KEYS.join(', ')}.`,
    );
  }
  if (bundling.sourceMapMode !== undefined && bundling.sourceMap !== true) {
    validate.fail(
      `${prop}.sourceMapMode`,
      bundling.sourceMapMode,
      'needs `sourceMap: true`: source maps are off by default (they cost cold-start time). Set ' +
        '`sourceMap: true` too, or remove `sourceMapMode`.',
    );
  }
}
