/**
 * Gives each infra test file one cloud-assembly directory of its own (`CDK_OUTDIR`, which `new App()` reads) and
 * removes it afterwards, so synthesizing in tests leaves nothing behind in the system temp directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const outdir = mkdtempSync(path.join(tmpdir(), 'celeriac-cdk-test-'));
process.env.CDK_OUTDIR = outdir;

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});
