/**
 * The benchmarks are not part of `npm test`, but they must keep running: this runs `bench/worker-throughput.ts`
 * at a tiny size on the fast emulator pair and checks that every contender was measured and every figure printed.
 * Rates at this size mean nothing; only that each number is there and sane.
 */
import { describe, expect, it } from 'vitest';
import { runBench } from './run-bench.js';

/** The numeric cells of the report row that starts with `label`. */
function cells(output: string, label: string): number[] {
  const line = output.split('\n').find((l) => l.trimStart().startsWith(label));
  if (!line) throw new Error(`no row "${label}" in:\n${output}`);
  return [...line.slice(line.indexOf(label) + label.length).matchAll(/\d+(\.\d+)?/g)].map((m) =>
    Number(m[0]),
  );
}

describe('bench/worker-throughput.ts', () => {
  it('measures celeriac, the raw-SDK drain and Python Celery (threads and prefork) on ElasticMQ and dynalite', async () => {
    const { code, output } = await runBench('worker-throughput.ts', {
      BENCH_EMULATOR: 'fast',
      BENCH_TASKS: '20',
      BENCH_WARMUP: '20',
      BENCH_ROUNDS: '1',
      BENCH_CPU_MESSAGES: '50',
      BENCH_CPU_ROUNDS: '1',
    });
    expect(code, output).toBe(0);
    expect(output).toMatch(/emulators: ElasticMQ 1\.7\.1 \+ dynalite 4\.0\.0/);
    expect(output).toMatch(/load average [\d. ]+ before, [\d. ]+ after/);
    for (const label of [
      'celeriac runWorker (in-process)',
      'raw SDK, same calls and concurrency',
      'Python Celery worker (threads, 10)',
      'Python Celery worker (prefork,',
    ]) {
      const [tasksPerSecond, callsPerTask] = label.endsWith(',')
        ? cells(output, label).slice(1)
        : cells(output, label);
      expect(tasksPerSecond, label).toBeGreaterThan(0);
      // Every contender stores 20 results and receives at least once: at least two calls per task.
      expect(callsPerTask, label).toBeGreaterThanOrEqual(2);
    }
    for (const label of [
      'ratio celeriac / raw SDK',
      'ratio celeriac / Python Celery threads',
      'ratio celeriac / Python Celery prefork',
    ]) {
      expect(cells(output, label)[0], label).toBeGreaterThan(0);
    }
    expect(cells(output, 'executeMessage (decode, claim, run, store)')[0]).toBeGreaterThan(0);
    // CPU per task on the SDK path: the worker's process and each emulator's, for celeriac and the raw drain.
    expect(output).toMatch(/3\. CPU per task on the SDK path/);
    expect(output).toMatch(/worker +per call +ElasticMQ +dynalite +all/);
    for (const label of ['celeriac worker process', 'raw SDK drain process']) {
      const [worker = 0, perCall, elasticMq, dynalite, all] = cells(output, label);
      expect(worker, label).toBeGreaterThan(0);
      expect(perCall, label).toBeGreaterThan(0);
      expect(elasticMq, label).toBeGreaterThanOrEqual(0);
      expect(dynalite, label).toBeGreaterThanOrEqual(0);
      expect(all, label).toBeGreaterThanOrEqual(worker);
    }
  });
});
