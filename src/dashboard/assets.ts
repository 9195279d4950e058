/**
 * The front end's files: bundled at build time by {@link buildDashboardAssets} (esbuild, `npm run build`), read
 * from disk by the server and served from memory. Nothing is fetched at run time: the bundle carries Preact, htm
 * and uPlot.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImproperlyConfigured } from '../errors.js';

/** The bundle's files, by URL path. */
export type DashboardAssets = ReadonlyMap<string, { readonly type: string; readonly body: Buffer }>;

const here = path.dirname(fileURLToPath(import.meta.url));

/** Where the bundle is looked for: beside the compiled server (dist/), then dist/ from a source checkout. */
export const ASSET_DIRS = [path.join(here, '../../dashboard-ui'), path.join(here, '../../dist/dashboard-ui')];

/** The page every route serves; the front end reads the hash (`#/tasks`). */
const INDEX_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>celeriac dashboard</title><link rel="stylesheet" href="/assets/app.css"></head>
<body><div id="app"></div><script type="module" src="/assets/app.js"></script></body>
</html>
`;

/**
 * Bundles the front end (src/dashboard/ui/main.ts) into `outDir`: app.js and app.css, minified. esbuild is a
 * development dependency (an optional peer of the package).
 */
export async function buildDashboardAssets(outDir: string): Promise<void> {
  const esbuild = await import('esbuild');
  const entry = path.join(here, 'ui/main.ts');
  await esbuild.build({
    entryPoints: { app: existsSync(entry) ? entry : path.join(here, 'ui/main.js') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    outdir: outDir,
    logLevel: 'warning',
  });
}

/** Reads the bundle from `dir` (default: the first of {@link ASSET_DIRS} that has one). */
export async function loadDashboardAssets(dir?: string): Promise<DashboardAssets> {
  const found = dir ?? ASSET_DIRS.find((candidate) => existsSync(path.join(candidate, 'app.js')));
  if (found === undefined || !existsSync(path.join(found, 'app.js'))) {
    throw new ImproperlyConfigured(
      `The dashboard's front end is not built (looked in ${(dir ? [dir] : ASSET_DIRS).join(', ')}): run npm run build (in a checkout, npx tsx scripts/build-dashboard.ts bundles only the front end)`,
      { setting: 'dashboard' },
    );
  }
  return new Map([
    ['/', { type: 'text/html; charset=utf-8', body: Buffer.from(INDEX_HTML) }],
    [
      '/assets/app.js',
      { type: 'text/javascript; charset=utf-8', body: await readFile(path.join(found, 'app.js')) },
    ],
    [
      '/assets/app.css',
      { type: 'text/css; charset=utf-8', body: await readFile(path.join(found, 'app.css')) },
    ],
  ]);
}
