/** `bench/event-sinks.ts` keeps running: every setting measured, and the sinks add requests only where they should. */
import { describe, expect, it } from 'vitest';
import { runBench } from './run-bench.js';

function perTaskOf(output: string, label: string): number {
  const line = output.split('\n').find((l) => l.trimStart().startsWith(label));
  const match = line && /([\d.]+) per task/.exec(line);
  if (!match?.[1]) throw new Error(`no row "${label}" in:\n${output}`);
  return Number(match[1]);
}

describe('bench/event-sinks.ts', () => {
  it('counts the requests per task of each monitoring setting against events off', async () => {
    const { code, output } = await runBench('event-sinks.ts', { BENCH_EVENT_TASKS: '20' });
    expect(code, output).toBe(0);
    const off = perTaskOf(output, 'events off (the default)');
    expect(off).toBeGreaterThanOrEqual(2);
    expect(perTaskOf(output, 'eventbridge sink ')).toBeGreaterThan(off);
    // Task-sent events add the producer's events to the same time-batched PutEvents: at 20 tasks a busy machine
    // can fit them into batches that go anyway, so they add requests or none, never fewer.
    expect(perTaskOf(output, 'eventbridge sink + task-sent events')).toBeGreaterThanOrEqual(
      perTaskOf(output, 'eventbridge sink '),
    );
    expect(output).toMatch(/PutEvents \d\.\d\d/);
  });
});
