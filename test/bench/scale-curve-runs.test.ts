/**
 * `bench/scale-curve.ts` keeps running: at a tiny size on the fast emulator pair, every sweep measures celeriac
 * and Python Celery at each point, and the SVG chart has a panel per sweep with both curves. Rates at this size
 * mean nothing; only that each number is there.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBench } from './run-bench.js';

describe('bench/scale-curve.ts', () => {
  it('sweeps concurrency, processes, depth and queues for both sides and draws the curves', async () => {
    const svg = path.join(mkdtempSync(path.join(tmpdir(), 'scale-')), 'scale.svg');
    const { code, output } = await runBench('scale-curve.ts', {
      BENCH_EMULATOR: 'fast',
      BENCH_SCALE_TASKS: '20',
      BENCH_SCALE_CONCURRENCY: '1,5',
      BENCH_SCALE_PROCESSES: '1,2',
      BENCH_SCALE_DEPTHS: '30',
      BENCH_SCALE_QUEUES: '1,2',
      BENCH_SCALE_SVG: svg,
    });
    expect(code, output).toBe(0);
    expect(output).toMatch(/Scale curves on ElasticMQ 1\.7\.1 \+ dynalite 4\.0\.0 \(\d+ cores, load average/);
    const rows = [
      ...output.matchAll(
        /^ {2}(concurrency|worker processes|queue depth|queues) +(\d+) \| +(\d+) \| +(\d+) \|/gm,
      ),
    ];
    // Printed as measured and again in the table: 7 points, twice.
    expect(rows).toHaveLength(14);
    for (const [, sweep, , celeriac, python] of rows) {
      expect(Number(celeriac), sweep).toBeGreaterThan(0);
      expect(Number(python), sweep).toBeGreaterThan(0);
    }
    const chart = readFileSync(svg, 'utf8');
    expect(chart.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    for (const title of ['concurrency', 'worker processes', 'queue depth', 'queues']) {
      expect(chart).toContain(`font-weight="bold">${title}</text>`);
    }
    // Two curves in each panel of two points; the one-point panel has dots only.
    expect(chart.match(/<polyline /g)).toHaveLength(6);
    expect(chart).toContain('Python Celery (threads)');
  }, 300_000);
});
