/**
 * One trace across Python Celery and celeriac, with `opentelemetry-instrumentation-celery` on the Python side and
 * celeriac's own spans on the TypeScript side, over real SQS queues on the emulator:
 * 1. a Python producer (instrumented) sends `interop.traced`;
 * 2. celeriac's Lambda handler runs it, and the task sends `tasks.add` to the queue `pyq`;
 * 3. a Python worker (instrumented, `celery.contrib.testing`'s in-process worker) runs `tasks.add`.
 * The spans form one chain, each the child of the one before: Python's send, celeriac's run, celeriac's send,
 * Python's run.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { uniqueName } from '../emulator/unique-name.js';
import { drain } from '../helpers/event-source-mapping.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import { runPython } from './helpers/python-celery.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const resultTable = uniqueName('otel-results');
const queuePrefix = `${uniqueName('otel')}-`;

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

/** Python source that turns the instrumentation on with an in-memory exporter, and prints finished spans. */
const INSTRUMENTED = `
import json
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.instrumentation.celery import CeleryInstrumentor

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
CeleryInstrumentor().instrument()

from celeriac_fixtures.app import app

def spans():
    return [
        {
            "name": s.name,
            "trace_id": format(s.context.trace_id, "032x"),
            "span_id": format(s.context.span_id, "016x"),
            "parent_span_id": format(s.parent.span_id, "016x") if s.parent else None,
        }
        for s in exporter.get_finished_spans()
    ]
`;

interface PySpan {
  readonly name: string;
  readonly trace_id: string;
  readonly span_id: string;
  readonly parent_span_id: string | null;
}

function pySpan(spans: readonly PySpan[], name: string): PySpan {
  const found = spans.find((span) => span.name === name);
  if (!found) throw new Error(`Python recorded no ${name} span: ${JSON.stringify(spans)}`);
  return found;
}

function tsSpan(name: string): ReadableSpan {
  const found = exporter.getFinishedSpans().filter((span) => span.name === name);
  expect(found.map((span) => span.name)).toEqual([name]);
  return found[0] as ReadableSpan;
}

beforeAll(async () => {
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  await ensureResultTable(new DynamoDBClient({ endpoint }), resultTable);
});

afterAll(async () => {
  trace.disable();
  propagation.disable();
  await provider.shutdown();
});

describe('a trace from Python Celery through celeriac and back', () => {
  it('is one trace: Python send → celeriac run → celeriac send → Python run', async () => {
    const { queueUrl } = await createQueueWithDeadLetter(sqs, `${queuePrefix}celery`);
    const { queueUrl: pyQueueUrl } = await createQueueWithDeadLetter(sqs, `${queuePrefix}pyq`);
    const app = createApp({
      queueUrls: { celery: queueUrl, pyq: pyQueueUrl },
      resultTable,
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    let childId = '';
    app.task('interop.traced', async (a: number, b: number) => {
      const child = await app.sendTask('tasks.add', [a, b], {}, { queue: 'pyq' });
      childId = child.id;
      return child.id;
    });

    const sent = await runPython<{ spans: PySpan[] }>(
      `${INSTRUMENTED}
@app.task(name="interop.traced")
def traced(a, b):
    raise AssertionError("runs in TypeScript")

traced.apply_async((2, 3), ignore_result=True)
print(json.dumps({"spans": spans()}))
`,
      { queuePrefix, resultTable, timeoutMs: 60_000 },
    );
    const pySend = pySpan(sent.spans, 'apply_async/interop.traced');

    await drain(sqs, queueUrl, createSqsHandler(app, { log: () => {} }));
    expect(childId).not.toBe('');
    const tsRun = tsSpan('run/interop.traced');
    const tsSend = tsSpan('apply_async/tasks.add');

    const ran = await runPython<{ result: number; spans: PySpan[] }>(
      `${INSTRUMENTED}
from celery.contrib.testing.worker import start_worker

with start_worker(app, pool="solo", perform_ping_check=False, queues=["pyq"], loglevel="WARNING"):
    result = app.AsyncResult(${JSON.stringify(childId)}).get(timeout=30)
print(json.dumps({"result": result, "spans": spans()}))
`,
      { queuePrefix, resultTable, timeoutMs: 90_000 },
    );
    expect(ran.result).toBe(5);
    const pyRun = pySpan(ran.spans, 'run/tasks.add');

    expect(tsRun.spanContext().traceId).toBe(pySend.trace_id);
    expect(tsRun.parentSpanContext?.spanId).toBe(pySend.span_id);
    expect(tsSend.spanContext().traceId).toBe(pySend.trace_id);
    expect(tsSend.parentSpanContext?.spanId).toBe(tsRun.spanContext().spanId);
    expect(pyRun.trace_id).toBe(pySend.trace_id);
    expect(pyRun.parent_span_id).toBe(tsSend.spanContext().spanId);
  });
});
