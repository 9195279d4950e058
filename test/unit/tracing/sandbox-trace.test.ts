/**
 * Trace context into `--pool threads|processes`: the worker hands its run span's context to the sandbox, so a
 * task the sandboxed function sends descends from the run span, as it does inline.
 */
import { fileURLToPath } from 'node:url';
import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeMessage } from '../../../src/worker/execute-message.js';
import { createPool } from '../../../src/worker/pool/create-pool.js';
import type { Pool } from '../../../src/worker/pool/pool.js';
import { memoryApp } from '../../helpers/memory-app.js';

const appModule = fileURLToPath(new URL('./traced-pool-app.ts', import.meta.url));
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const pools: Pool[] = [];

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  trace.disable();
  propagation.disable();
  await provider.shutdown();
});

describe.each(['threads', 'processes'] as const)('the %s pool', (kind) => {
  it('runs the function in the run span’s trace, so what it sends is the run’s child', async () => {
    exporter.reset();
    const pool = createPool({ kind, size: 1, appModule, log: () => {} });
    pools.push(pool);
    await pool.start();
    const fx = memoryApp();
    fx.app.task('tasks.spawn-traced', () => {
      throw new Error('runs in the sandbox');
    });
    const sent = await fx.app.sendTask<string | null>('tasks.spawn-traced');
    const [inbound] = await fx.receiveAll();
    if (!inbound) throw new Error('expected the message on the queue');
    const outcome = await executeMessage(inbound, fx.context({ pool }));
    expect(outcome.state).toBe('SUCCESS');
    const run = exporter.getFinishedSpans().find((span) => span.name === 'run/tasks.spawn-traced');
    if (!run) throw new Error('expected the run span');
    const { traceId, spanId } = run.spanContext();
    // No provider in the sandbox: its send span is a no-op carrying its parent's context, the run span's.
    await expect(sent.get({ timeoutMs: 5_000 })).resolves.toBe(`00-${traceId}-${spanId}-01`);
  });
});
