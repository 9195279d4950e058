/** `bench/cold-start.ts` keeps running: one import per variant, every figure printed. */
import { describe, expect, it } from 'vitest';
import { runBench } from './run-bench.js';

describe('bench/cold-start.ts', () => {
  it('bundles the demo worker as the construct does and times its import, per variant and against the raw-SDK baseline, with sizes at init and in all, by package', async () => {
    const { code, output } = await runBench('cold-start.ts', { BENCH_COLD_RUNS: '1' });
    expect(code, output).toBe(0);
    for (const label of [
      'construct default (minified, no source map)',
      'with source map (--enable-source-maps)',
      'not minified, no source map',
      'baseline: raw SDK handler, same bundling',
    ]) {
      expect(output).toMatch(
        new RegExp(
          `${label.replace(/[()]/g, '\\$&')}: import \\d+\\.\\d ms, bundle \\d+ KiB loaded at init ` +
            '\\(\\d+ of \\d+ files\\), \\d+ KiB in all',
        ),
      );
    }
    expect(output).toMatch(/source map \d+ KiB/);
    expect(output).toMatch(/construct default vs the raw-SDK baseline: \d+\.\d\dx, -?\d+\.\d ms more/);
    expect(output).toMatch(/@aws-sdk\/client-sqs\s+[1-9]\d* KiB\s+\d+ KiB/);
    // What celeriac loads on first use stays out of init, in chunks of its own.
    for (const lazy of [
      '@aws-sdk/client-s3',
      '@aws-sdk/client-eventbridge',
      'yaml',
      'xz-decompress',
      'seek-bzip',
    ]) {
      expect(output).toMatch(new RegExp(`${lazy.replace('/', '\\/')}\\s+0 KiB\\s+[1-9]\\d* KiB`));
    }
  });
});
