/**
 * Bundles the dashboard's front end (src/dashboard/ui/) into dist/dashboard-ui/ with esbuild: part of
 * `npm run build`, so the package ships the bundle and `celeriac dashboard` fetches nothing at run time.
 * An argument names another output directory.
 */
import path from 'node:path';
import { buildDashboardAssets } from '../src/dashboard/assets.js';

const outDir = path.resolve(process.argv[2] ?? 'dist/dashboard-ui');
await buildDashboardAssets(outDir);
// On stderr: `npm pack --json` runs the build (prepare) and its stdout must stay JSON.
console.error(`dashboard front end bundled into ${outDir}`);
