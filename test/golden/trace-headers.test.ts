/**
 * celeriac's trace context and spans against what Python Celery with `opentelemetry-instrumentation-celery`
 * really writes and records (`tracing/python-celery-otel.json`, from `scripts/capture-golden-tracing.py`):
 * - the message headers: the same keys in the same order, Celery's own then `traceparent`, in W3C form;
 * - a message carrying Python's `traceparent` is run in Python's trace, as a child of Python's send span;
 * - the send and run spans have Python's names, kinds and attribute names, and the same values where they do not
 *   depend on the run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { propagation, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeTaskMessage } from '../../src/protocol/task-message.js';
import { executeMessage } from '../../src/worker/execute-message.js';
import { memoryApp } from '../helpers/memory-app.js';

interface GoldenSpan {
  readonly name: string;
  readonly kind: 'PRODUCER' | 'CONSUMER';
  readonly trace_id: string;
  readonly span_id: string;
  readonly parent_span_id: string | null;
  readonly attributes: Record<string, unknown>;
}

interface TracingVector {
  readonly headers: Record<string, unknown>;
  readonly header_keys: string[];
  readonly spans: GoldenSpan[];
}

const vector = JSON.parse(
  readFileSync(path.join(import.meta.dirname, 'tracing', 'python-celery-otel.json'), 'utf8'),
) as TracingVector;

function goldenSpan(kind: GoldenSpan['kind']): GoldenSpan {
  const span = vector.spans.find((s) => s.kind === kind);
  if (!span) throw new Error(`the vector has no ${kind} span`);
  return span;
}

/** W3C trace context: version 00, trace id, parent span id, flags. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterEach(() => exporter.reset());
afterAll(async () => {
  trace.disable();
  propagation.disable();
  await provider.shutdown();
});

function finished(name: string): ReadableSpan {
  const spans = exporter.getFinishedSpans().filter((span) => span.name === name);
  expect(spans.length).toBe(1);
  return spans[0] as ReadableSpan;
}

function fixture() {
  const fx = memoryApp();
  fx.app.task('tasks.add', (a: number, b: number) => a + b);
  return fx;
}

describe('the trace headers Python Celery writes', () => {
  it('carries its send span in a traceparent header after Celery’s own (the vector is consistent)', () => {
    const send = goldenSpan('PRODUCER');
    expect(vector.header_keys.at(-1)).toBe('traceparent');
    const match = TRACEPARENT.exec(String(vector.headers.traceparent));
    expect(match?.slice(1)).toEqual([send.trace_id, send.span_id]);
  });

  it('are the headers celeriac writes: the same keys in the same order', async () => {
    const fx = fixture();
    await fx.app.client.send([fx.request('tasks.add', [2, 3], {})]);
    const [message] = fx.queued();
    expect(Object.keys(message?.headers ?? {})).toEqual(vector.header_keys);
    const send = finished('apply_async/tasks.add');
    const match = TRACEPARENT.exec(String(message?.headers.traceparent));
    expect(match?.slice(1)).toEqual([send.spanContext().traceId, send.spanContext().spanId]);
  });
});

describe('a message sent by Python, run by celeriac', () => {
  it('runs in Python’s trace, as a child of Python’s send span', async () => {
    const fx = fixture();
    const built = fx.message('tasks.add', [2, 3], {});
    const message = { ...built, headers: { ...built.headers, traceparent: vector.headers.traceparent } };
    await fx.transport.broker.send(fx.queueUrl, [{ body: encodeTaskMessage(message) }]);
    const [inbound] = await fx.receiveAll();
    if (!inbound) throw new Error('expected the message on the queue');
    await executeMessage(inbound, fx.context());
    const run = finished('run/tasks.add');
    const send = goldenSpan('PRODUCER');
    expect(run.spanContext().traceId).toBe(send.trace_id);
    expect(run.parentSpanContext?.spanId).toBe(send.span_id);
  });
});

describe('the spans, beside Python’s', () => {
  /** Attribute values that depend on the run: ids, the sender's node name. */
  const RUN_DEPENDENT = new Set([
    'messaging.message.id',
    'messaging.conversation_id',
    'celery.reply_to',
    'celery.hostname',
  ]);
  const stable = (attributes: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(attributes).filter(([key]) => !RUN_DEPENDENT.has(key)));

  it('have Python’s names, kinds and attributes for a send and a run', async () => {
    const fx = fixture();
    await fx.app.client.send([fx.request('tasks.add', [2, 3], {})]);
    const [inbound] = await fx.receiveAll();
    if (!inbound) throw new Error('expected the message on the queue');
    await executeMessage(inbound, fx.context());
    for (const golden of vector.spans) {
      const span = finished(golden.name);
      expect(span.kind).toBe(golden.kind === 'PRODUCER' ? SpanKind.PRODUCER : SpanKind.CONSUMER);
      expect(Object.keys(span.attributes).sort()).toEqual(Object.keys(golden.attributes).sort());
      expect(stable(span.attributes)).toEqual(stable(golden.attributes));
    }
    const run = finished('run/tasks.add');
    expect(run.attributes['messaging.message.id']).toBe(run.attributes['messaging.conversation_id']);
    expect(run.attributes['celery.hostname']).toBe('gen1@test');
  });
});
