/**
 * A `package-lock.json` for a fresh project, cut from this repository's own lock file, so that `npm ci --offline`
 * installs it from the npm cache `npm ci` filled here, without the registry: npm needs a package's registry
 * document (its packument) to resolve a range, which the cache holds only for packages once installed by name,
 * but with a lock file it fetches each tarball by its integrity alone.
 *
 * The cut keeps every package the project's dependencies reach, at the path it has in this repository's
 * `node_modules` tree (a subset of a valid tree, closed under Node's resolution, is a valid tree), plus the
 * packed celeriac tarball itself.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface LockEntry {
  readonly version?: string;
  readonly resolved?: string;
  readonly integrity?: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { optional?: boolean }>>;
  readonly optional?: boolean;
  readonly dev?: boolean;
  readonly [field: string]: unknown;
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly bin?: Readonly<Record<string, string>>;
  readonly engines?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { optional?: boolean }>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
}

/** The path a package at `from` gets `name` from: the nearest `node_modules/<name>` up the tree. */
function resolveFrom(
  packages: Readonly<Record<string, LockEntry>>,
  from: string,
  name: string,
): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const at = base.lastIndexOf('/node_modules/');
    base = at < 0 ? '' : base.slice(0, at);
  }
}

/**
 * The registry URL of a package's tarball. This repository's lock file leaves `resolved` out; npm then asks the
 * registry for the package's document to find the tarball, which offline it cannot.
 */
function registryTarball(at: string, entry: LockEntry): string {
  const name = typeof entry.name === 'string' ? entry.name : at.slice(at.lastIndexOf('node_modules/') + 13);
  const file = name.slice(name.lastIndexOf('/') + 1);
  return `https://registry.npmjs.org/${name}/-/${file}-${entry.version}.tgz`;
}

/** Options for {@link offlineLock}. */
export interface OfflineLockOptions {
  /** This repository's root (its `package-lock.json`). */
  readonly repoRoot: string;
  /** The project's package.json, whose dependencies name the tarball as `file:<tarball>`. */
  readonly project: Manifest;
  /** The packed tarball, its integrity as `npm pack --json` reports it, and celeriac's manifest. */
  readonly celeriac: { readonly tarball: string; readonly integrity: string; readonly manifest: Manifest };
  /** The project's directory, for the tarball's path relative to it. */
  readonly projectDir: string;
}

/** The lock file's text. */
export function offlineLock(options: OfflineLockOptions): string {
  const repoLock = JSON.parse(readFileSync(path.join(options.repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const packages: Record<string, LockEntry> = { ...repoLock.packages };
  const celeriacPath = 'node_modules/celeriac';
  const { manifest } = options.celeriac;
  packages[celeriacPath] = {
    version: manifest.version,
    resolved: `file:${path.relative(options.projectDir, options.celeriac.tarball)}`,
    integrity: options.celeriac.integrity,
    // npm links bins and checks peers from the lock file's entry, not from the tarball's package.json.
    ...Object.fromEntries(
      (['dependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines'] as const).flatMap(
        (field) => (manifest[field] === undefined ? [] : [[field, manifest[field]]]),
      ),
    ),
  };
  const kept = new Map<string, LockEntry>();
  const visit = (at: string): void => {
    if (kept.has(at)) return;
    const entry = packages[at];
    if (!entry) throw new Error(`${at} is not in ${options.repoRoot}/package-lock.json`);
    const { dev: _dev, ...rest } = entry;
    kept.set(at, { ...rest, resolved: entry.resolved ?? registryTarball(at, entry) });
    const optionalPeers = entry.peerDependenciesMeta ?? {};
    const wanted: [string, boolean][] = [
      ...Object.keys(entry.dependencies ?? {}).map((name): [string, boolean] => [name, false]),
      ...Object.keys(entry.optionalDependencies ?? {}).map((name): [string, boolean] => [name, true]),
      ...Object.keys(entry.peerDependencies ?? {}).map((name): [string, boolean] => [
        name,
        optionalPeers[name]?.optional === true,
      ]),
    ];
    for (const [name, optional] of wanted) {
      const found = resolveFrom(packages, at, name);
      if (found) visit(found);
      else if (!optional)
        throw new Error(`${at} needs ${name}, which ${options.repoRoot}/package-lock.json lacks`);
    }
  };
  const project = options.project;
  const direct = { ...project.dependencies, ...project.devDependencies };
  for (const name of Object.keys(direct)) {
    const found = resolveFrom(packages, '', name);
    if (!found)
      throw new Error(`the project depends on ${name}, which ${options.repoRoot}/package-lock.json lacks`);
    visit(found);
  }
  const root: LockEntry = {
    name: project.name,
    version: project.version,
    ...(project.dependencies ? { dependencies: project.dependencies } : {}),
    ...(project.devDependencies ? { devDependencies: project.devDependencies } : {}),
  };
  return `${JSON.stringify(
    {
      name: project.name,
      version: project.version,
      lockfileVersion: 3,
      requires: true,
      packages: { '': root, ...Object.fromEntries([...kept].sort(([a], [b]) => a.localeCompare(b))) },
    },
    null,
    2,
  )}\n`;
}
