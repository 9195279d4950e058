/** `bench/rate-limit.ts` keeps running: every setting measured, and the limiter's cost where it should be. */
import { describe, expect, it } from 'vitest';
import { runBench } from './run-bench.js';

function perTaskOf(output: string, label: string): number {
  const line = output.split('\n').find((l) => l.trimStart().startsWith(label));
  const match = line && /([\d.]+) per task/.exec(line);
  if (!match?.[1]) throw new Error(`no row "${label}" in:\n${output}`);
  return Number(match[1]);
}

describe('bench/rate-limit.ts', () => {
  it('counts the requests per task each limit adds against no limit', async () => {
    const { code, output } = await runBench('rate-limit.ts', { BENCH_RATE_TASKS: '40' });
    expect(code, output).toBe(0);
    const none = perTaskOf(output, 'no limit');
    const never = perTaskOf(output, 'rateLimit 10000/s');
    expect(never).toBeGreaterThan(none);
    // A slot is taken and freed: two writes per task more than no limit.
    expect(perTaskOf(output, 'keyConcurrency 5')).toBeGreaterThanOrEqual(none + 2);
    expect(output).toMatch(/UpdateItem \d\.\d\d/);
  });
});
