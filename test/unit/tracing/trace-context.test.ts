/**
 * Trace context across celeriac's producer and worker, on the memory transport with an in-memory exporter: the
 * send span's context travels in the message's headers, the run span continues it, and what a running task
 * sends (and the follow-ups the worker sends for it) continues the run span, so one trace covers producer →
 * worker → child. Span names, kinds and attributes are those of `opentelemetry-instrumentation-celery`.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chain } from '../../../src/canvas/index.js';
import { encodeTaskMessage, type TaskMessage } from '../../../src/protocol/task-message.js';
import { executeMessage } from '../../../src/worker/execute-message.js';
import { memoryApp } from '../../helpers/memory-app.js';

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

function fixture() {
  const fx = memoryApp();
  const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
  const boom = fx.app.task('tasks.boom', () => {
    throw new TypeError('boom');
  });
  const spawn = fx.app.task('tasks.spawn', async () => {
    await add.delay(1, 2);
    return 'spawned';
  });
  return { fx, add, boom, spawn };
}

/** Runs every visible message once, in order. */
async function runQueued(fx: ReturnType<typeof fixture>['fx']): Promise<void> {
  for (const inbound of await fx.receiveAll()) await executeMessage(inbound, fx.context());
}

function spanNamed(name: string): ReadableSpan {
  const found = exporter.getFinishedSpans().filter((span) => span.name === name);
  expect(found.map((span) => span.name)).toEqual([name]);
  return found[0] as ReadableSpan;
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** The `traceparent` a span's context is written as (sampled). */
function traceparentOf(span: ReadableSpan): string {
  const { traceId, spanId } = span.spanContext();
  return `00-${traceId}-${spanId}-01`;
}

function messageOf(fx: ReturnType<typeof fixture>['fx'], name: string): TaskMessage {
  const message = fx.queued().find((m) => m.headers.task === name);
  if (!message) throw new Error(`expected a ${name} message on the queue`);
  return message;
}

describe('the send span', () => {
  it('is apply_async/<task>, a PRODUCER span with Celery attributes, whose context the headers carry', async () => {
    const { fx, add } = fixture();
    const result = await add.delay(2, 3);
    const span = spanNamed('apply_async/tasks.add');
    expect(span.kind).toBe(SpanKind.PRODUCER);
    expect(span.attributes).toEqual({
      'celery.action': 'apply_async',
      'messaging.message.id': result.id,
      'celery.task_name': 'tasks.add',
      'messaging.destination': 'celery',
      'messaging.destination_kind': 'queue',
    });
    const message = messageOf(fx, 'tasks.add');
    expect(message.headers.traceparent).toBe(traceparentOf(span));
  });
});

describe('with a context manager registered (as the Node SDK registers one)', () => {
  beforeEach(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterEach(() => context.disable());

  it('makes the send span a child of the span active where the task is sent', async () => {
    const { add } = fixture();
    const outer = trace.getTracer('test').startSpan('request');
    await context.with(trace.setSpan(context.active(), outer), () => add.delay(1, 1));
    outer.end();
    const send = spanNamed('apply_async/tasks.add');
    expect(parentOf(send)).toBe(outer.spanContext().spanId);
    expect(send.spanContext().traceId).toBe(outer.spanContext().traceId);
  });

  it('makes the run span active in the task, so a span the task starts parents what it sends', async () => {
    const { fx, add } = fixture();
    fx.app.task('tasks.nested', async () => {
      const tracer = trace.getTracer('test');
      await tracer.startActiveSpan('inner', async (inner) => {
        await add.delay(2, 2);
        inner.end();
      });
    });
    await fx.app.client.send([fx.request('tasks.nested', [], {})]);
    await runQueued(fx);
    const run = spanNamed('run/tasks.nested');
    const inner = spanNamed('inner');
    const sendChild = spanNamed('apply_async/tasks.add');
    expect(parentOf(inner)).toBe(run.spanContext().spanId);
    expect(parentOf(sendChild)).toBe(inner.spanContext().spanId);
  });
});

describe('one trace from producer to worker to child', () => {
  it('continues the sent context in run/<task> and in what the running task sends', async () => {
    const { fx, spawn } = fixture();
    const sent = await spawn.delay();
    await runQueued(fx);
    const child = messageOf(fx, 'tasks.add');
    await runQueued(fx);

    const sendSpawn = spanNamed('apply_async/tasks.spawn');
    const runSpawn = spanNamed('run/tasks.spawn');
    const sendChild = spanNamed('apply_async/tasks.add');
    const runChild = spanNamed('run/tasks.add');
    const traceId = sendSpawn.spanContext().traceId;
    for (const span of [runSpawn, sendChild, runChild]) expect(span.spanContext().traceId).toBe(traceId);
    expect(parentOf(sendSpawn)).toBeUndefined();
    expect(parentOf(runSpawn)).toBe(sendSpawn.spanContext().spanId);
    expect(parentOf(sendChild)).toBe(runSpawn.spanContext().spanId);
    expect(parentOf(runChild)).toBe(sendChild.spanContext().spanId);
    expect(child.headers.traceparent).toBe(traceparentOf(sendChild));

    expect(runSpawn.kind).toBe(SpanKind.CONSUMER);
    expect(runSpawn.attributes).toMatchObject({
      'celery.action': 'run',
      'celery.task_name': 'tasks.spawn',
      'celery.state': 'SUCCESS',
      'celery.hostname': 'gen1@test',
      'messaging.message.id': sent.id,
      'messaging.conversation_id': sent.id,
      'messaging.destination': 'celery',
    });
    expect(runSpawn.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('carries the run span into the follow-ups the worker sends after the run (a chain link)', async () => {
    const { fx, add } = fixture();
    await chain(add.s(1, 2), add.s(3)).applyAsync();
    await runQueued(fx);
    await runQueued(fx);
    const runs = exporter.getFinishedSpans().filter((span) => span.name === 'run/tasks.add');
    const sends = exporter.getFinishedSpans().filter((span) => span.name === 'apply_async/tasks.add');
    expect(runs.length).toBe(2);
    expect(sends.length).toBe(2);
    const [first, second] = sends as [ReadableSpan, ReadableSpan];
    const [firstRun, secondRun] = runs as [ReadableSpan, ReadableSpan];
    expect(parentOf(firstRun)).toBe(first.spanContext().spanId);
    expect(parentOf(second)).toBe(firstRun.spanContext().spanId);
    expect(parentOf(secondRun)).toBe(second.spanContext().spanId);
    expect(new Set([...runs, ...sends].map((span) => span.spanContext().traceId)).size).toBe(1);
  });

  it('marks the run span failed, with the exception, when the task throws', async () => {
    const { fx, boom } = fixture();
    await boom.delay();
    await runQueued(fx);
    const run = spanNamed('run/tasks.boom');
    expect(run.attributes['celery.state']).toBe('FAILURE');
    expect(run.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' });
    expect(run.events.map((event) => event.name)).toEqual(['exception']);
    expect(run.events[0]?.attributes?.['exception.type']).toBe('TypeError');
  });

  it('starts a root run span for a message that carries no trace context (an uninstrumented sender)', async () => {
    const { fx } = fixture();
    const message = fx.message('tasks.add', [4, 4], {});
    expect(message.headers.traceparent).toBeUndefined();
    await fx.transport.broker.send(fx.queueUrl, [{ body: encodeTaskMessage(message) }]);
    await runQueued(fx);
    const run = spanNamed('run/tasks.add');
    expect(parentOf(run)).toBeUndefined();
    expect(run.attributes['messaging.message.id']).toBe(message.headers.id);
  });
});
