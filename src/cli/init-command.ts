/**
 * `celeriac init <dir>`: writes a new project that uses celeriac (tasks, the worker Lambda, an API Lambda that
 * waits for a result, a CDK stack, tests in memory and against the local stack) from the templates shipped in the
 * package (`templates/app/`).
 *
 * The templates are plain files rather than strings in TypeScript modules: they read as the user will get them,
 * need no escaping of backticks or `${`, and the package tests type-check, synthesize and run what they produce.
 * Each file may use `{{placeholder}}`s (see {@link TemplateValues}); `package.json` and `cdk.json` are built here,
 * because their contents (versions, feature flags) come from this package rather than from a template.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CeleriacError } from '../errors.js';
import { UsageError } from './usage-error.js';

/** `celeriac init --help`. */
export const INIT_USAGE = `Usage: celeriac init <dir> [options]

Writes a new project into <dir> (created if missing; refused when not empty): tasks (src/tasks.ts), the worker
Lambda, an API Lambda that sends a task and waits for its result, a CDK stack with a ResultStore, a TaskQueue
and PeriodicTasks, tests that run the tasks in memory and against the local stack, and a README.

Options:
  --commonjs          A CommonJS project ("type": "commonjs"); default: an ES module project
  --name <name>       The npm package name (default: the directory's name)
  --celeriac <spec>   The celeriac dependency, as npm install takes it: a version range, a git URL, a path or
                      a tarball (a path is taken from the current directory and written as file:<absolute path>;
                      default: this checkout as file:<path>, or ^<this version> when installed)

Examples:
  celeriac init my-tasks
  celeriac init my-tasks --commonjs --name @acme/tasks --celeriac ^0.1.0

Then: cd <dir> && npm install && npm test
`;

/** The package root: the directory of celeriac's own package.json (this file runs from src/ or dist/src/). */
function packageRoot(): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 5; i++) {
    const manifest = path.join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'celeriac'
    )
      return dir;
    dir = path.dirname(dir);
  }
  throw new CeleriacError(
    `celeriac's package.json was not found above ${import.meta.dirname}: the installation is incomplete; reinstall celeriac`,
  );
}

interface CeleriacManifest {
  readonly version: string;
  readonly engines?: { readonly node?: string };
  readonly dependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
}

/** The values templates may use, as `{{key}}`. */
export interface TemplateValues {
  /** The npm package name. */
  readonly name: string;
  /** The CloudFormation stack name, PascalCase of the name. */
  readonly stackName: string;
  /** `import.meta.dirname` (ES modules) or `__dirname` (CommonJS). */
  readonly dirname: string;
  /** The vitest config's file name: `vitest.config.ts`, or `vitest.config.mts` in a CommonJS project. */
  readonly vitestConfig: string;
  /** The Node.js versions celeriac supports, its `engines.node` (`>=22.15`). */
  readonly node: string;
}

/** What {@link initProject} writes. */
export interface InitOptions {
  /** The directory to write into: missing or empty. */
  readonly dir: string;
  readonly moduleType: 'module' | 'commonjs';
  /** The npm package name. Default: the directory's base name, made a valid package name. */
  readonly name?: string;
  /**
   * The celeriac dependency spec, a path taken from the current directory ({@link resolveCeleriacSpec}).
   * Default: see {@link defaultCeleriacSpec}.
   */
  readonly celeriacSpec?: string;
}

const NPM_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** The directory's name made an npm package name: lower case, runs of other characters as `-`. */
function nameFromDir(dir: string): string {
  const base = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-._~]+/g, '-')
    .replace(/^[-._]+|-+$/g, '');
  return base || 'celeriac-app';
}

/** `my-app` → `MyApp`: a CloudFormation stack name (letters, digits and hyphens, starting with a letter). */
function stackNameFor(name: string): string {
  const pascal = (name.split('/').pop() ?? name)
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
  return /^[A-Za-z]/.test(pascal) ? pascal : `App${pascal}`;
}

/**
 * The celeriac dependency of a new project: this checkout (`file:`, built by its `prepare` script on install) when
 * celeriac runs from a git checkout, else a caret range of this version.
 */
export function defaultCeleriacSpec(root: string, version: string): string {
  return existsSync(path.join(root, '.git')) ? `file:${root}` : `^${version}`;
}

/** A URL scheme (`file:`, `git+https:`, `github:`, ...), two letters or more so that a Windows drive is not one. */
const SCHEME = /^[a-z][a-z0-9+.-]+:/i;
/** What npm takes as a path rather than a version, tag or `owner/repo` (npm-package-arg's test). */
const PATH_SPEC = /^(?:\.|~[/\\]|[/\\]|[a-z]:)|\.(?:tgz|tar\.gz|tar)$/i;

/**
 * The celeriac dependency as given with `--celeriac`, a path made `file:<absolute path>`: npm resolves a relative
 * one against the new project, not the directory `celeriac init` ran in, where the user meant it; so is a relative
 * `file:` spec. Versions, ranges, tags, URLs and absolute `file:` specs are written as given.
 */
export function resolveCeleriacSpec(spec: string, cwd: string): string {
  // `file:../celeriac` is as relative as `../celeriac`; `file:/abs` and `file://` URLs are kept.
  const fileTarget = /^file:(.*)$/i.exec(spec)?.[1];
  if (fileTarget !== undefined) {
    return fileTarget === '' || fileTarget.startsWith('/') ? spec : absoluteFileSpec(fileTarget, cwd);
  }
  if (SCHEME.test(spec) || !PATH_SPEC.test(spec)) return spec;
  return absoluteFileSpec(spec, cwd);
}

function absoluteFileSpec(target: string, cwd: string): string {
  // npm expands `~/` to the home directory; path.resolve would take it as a directory named `~`.
  const expanded = /^~[/\\]/.test(target) ? path.join(homedir(), target.slice(2)) : target;
  return `file:${path.resolve(cwd, expanded)}`;
}

/**
 * CDK's recommended feature flags, as `cdk init` writes them into `cdk.json`: from the aws-cdk-lib installed with
 * celeriac when it is the version the project gets, else from the copy taken from that version
 * (`templates/cdk-feature-flags.json`, which a test keeps equal to the pinned aws-cdk-lib's).
 */
export function recommendedFeatureFlags(root: string, cdkVersion: string): Record<string, unknown> {
  try {
    const require = createRequire(path.join(root, 'package.json'));
    const installed = require('aws-cdk-lib/package.json') as { version?: string };
    if (installed.version === cdkVersion) {
      return require('aws-cdk-lib/recommended-feature-flags.json') as Record<string, unknown>;
    }
  } catch {
    // aws-cdk-lib is an optional peer: not installed here, use the copy.
  }
  return JSON.parse(readFileSync(path.join(root, 'templates', 'cdk-feature-flags.json'), 'utf8')) as Record<
    string,
    unknown
  >;
}

/** Fills `{{key}}`s; a placeholder with no value is a bug in a template, reported with the file. */
function fill(text: string, values: TemplateValues, file: string): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = (values as unknown as Record<string, string | undefined>)[key];
    if (value === undefined)
      throw new CeleriacError(`Template ${file} uses {{${key}}}, which celeriac init does not fill`);
    return value;
  });
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) =>
      entry.isDirectory()
        ? filesUnder(path.join(dir, entry.name), path.join(prefix, entry.name))
        : [path.join(prefix, entry.name)],
    );
}

/** Where a template file goes in the project (npm does not pack a `.gitignore`, so it ships as `gitignore`). */
function targetPath(file: string, values: TemplateValues): string {
  if (file === 'gitignore') return '.gitignore';
  if (file === 'vitest.config.ts') return values.vitestConfig;
  return file;
}

/** The project's package.json: scripts, and dependencies at the versions celeriac is built and tested with. */
function packageJson(options: {
  name: string;
  node: string;
  moduleType: 'module' | 'commonjs';
  celeriacSpec: string;
  pins: Readonly<Record<string, string>>;
}): string {
  const pin = (dependency: string): string => {
    const version = options.pins[dependency];
    if (version === undefined)
      throw new CeleriacError(`celeriac's package.json pins no ${dependency}, which the project needs`);
    return version;
  };
  const pick = (names: readonly string[]): Record<string, string> =>
    Object.fromEntries(names.map((dependency) => [dependency, pin(dependency)]));
  return `${JSON.stringify(
    {
      name: options.name,
      version: '0.1.0',
      private: true,
      type: options.moduleType,
      engines: { node: options.node },
      scripts: {
        test: 'vitest run --project memory',
        'test:local': 'vitest run --project local',
        typecheck: 'tsc --noEmit',
        synth: 'cdk synth',
        'local:deploy': 'celeriac local deploy',
        'local:down': 'celeriac local down',
      },
      dependencies: { celeriac: options.celeriacSpec, ...pick(['aws-cdk-lib', 'constructs']) },
      devDependencies: pick([
        '@aws-sdk/client-lambda',
        '@types/node',
        'aws-cdk',
        'esbuild',
        'tsx',
        'typescript',
        'vitest',
      ]),
      // npm 11 runs no install script it was not told to: esbuild's checks its platform binary.
      allowScripts: { esbuild: true },
    },
    null,
    2,
  )}\n`;
}

/** Writes the project; returns the files written, relative to `dir`. */
export function initProject(options: InitOptions): string[] {
  const dir = path.resolve(options.dir);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) {
      throw new UsageError(
        `${options.dir} is a file; celeriac init writes a project into a new or empty directory`,
      );
    }
    const present = readdirSync(dir);
    if (present.length > 0) {
      const shown = present.slice(0, 5).join(', ') + (present.length > 5 ? ', ...' : '');
      throw new UsageError(
        `${options.dir} is not empty (it holds ${shown}); celeriac init writes a project into a new or empty ` +
          'directory: remove its contents or choose another, e.g. `celeriac init my-app`',
      );
    }
  }
  const name = options.name ?? nameFromDir(dir);
  if (name.length > 214 || !NPM_NAME.test(name)) {
    throw new UsageError(
      `Expected --name to be an npm package name (lower case letters, digits, and - . _ ~, optionally @scope/), got ${JSON.stringify(name)}`,
    );
  }
  const root = packageRoot();
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as CeleriacManifest;
  // The versions celeriac itself is built and tested with.
  const pins = { ...manifest.dependencies, ...manifest.devDependencies };
  const values: TemplateValues = {
    name,
    stackName: stackNameFor(name),
    dirname: options.moduleType === 'module' ? 'import.meta.dirname' : '__dirname',
    vitestConfig: options.moduleType === 'module' ? 'vitest.config.ts' : 'vitest.config.mts',
    node: manifest.engines?.node ?? '>=22',
  };
  const templates = path.join(root, 'templates', 'app');
  const written: string[] = [];
  const write = (file: string, text: string): void => {
    const target = path.join(dir, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, text);
    written.push(file);
  };
  for (const file of filesUnder(templates)) {
    write(targetPath(file, values), fill(readFileSync(path.join(templates, file), 'utf8'), values, file));
  }
  write(
    'package.json',
    packageJson({
      name,
      node: values.node,
      moduleType: options.moduleType,
      celeriacSpec:
        options.celeriacSpec !== undefined
          ? resolveCeleriacSpec(options.celeriacSpec, process.cwd())
          : defaultCeleriacSpec(root, manifest.version),
      pins,
    }),
  );
  const cdkVersion = pins['aws-cdk-lib'] ?? '';
  write(
    'cdk.json',
    `${JSON.stringify(
      {
        app: 'node --import tsx bin/app.ts',
        watch: { include: ['bin/**', 'lib/**', 'src/**', 'functions/**'] },
        context: recommendedFeatureFlags(root, cdkVersion),
      },
      null,
      2,
    )}\n`,
  );
  return written.sort();
}

/** Runs the command. */
export async function initCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      commonjs: { type: 'boolean' },
      name: { type: 'string' },
      celeriac: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [dir, ...extra] = positionals;
  if (!dir)
    throw new UsageError(`celeriac init needs the directory to write the project into\n\n${INIT_USAGE}`);
  if (extra.length > 0)
    throw new UsageError(
      `celeriac init takes one directory, got ${positionals.length}: ${positionals.join(' ')}`,
    );
  const files = initProject({
    dir,
    moduleType: values.commonjs ? 'commonjs' : 'module',
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values.celeriac !== undefined ? { celeriacSpec: values.celeriac } : {}),
  });
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  console.log(
    `Wrote ${values.commonjs ? 'a CommonJS' : 'an ES module'} celeriac project in ${dir}:\n` +
      files.map((file) => `  ${file}`).join('\n') +
      // A caret range of this version (the default when installed) may not be on the registry: say what npm
      // install will fetch, and how to change it, before it fails.
      `\n\nceleriac dependency (package.json): ${manifest.dependencies.celeriac}\n` +
      'For another (a version, path, tarball or git URL), edit it there, or init with --celeriac <spec>.\n' +
      `\nNext:\n  cd ${dir}\n  npm install\n  npm test                   # the tests, in memory\n` +
      '  npx cdk synth\n  npx celeriac local deploy  # the stack on a local emulator; npm run test:local tests it\n',
  );
}
