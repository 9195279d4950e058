/**
 * The app the sandbox tracing test runs in worker threads and child processes. It registers the W3C propagator
 * (no tracer provider: the sandbox's spans are the API's no-ops, which carry their parent's context), and its
 * task sends a child on its own memory transport and returns the `traceparent` header the child message got.
 */
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { createApp } from '../../../src/index.js';
import { createMemoryTransport } from '../../../src/memory/index.js';
import { decodeTaskMessage } from '../../../src/protocol/task-message.js';

propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const transport = createMemoryTransport();
const queueUrl = transport.broker.createQueue('celery');
export const app = createApp({ transport, env: {} });

const add = app.task('tasks.add', (a: number, b: number) => a + b);

app.task('tasks.spawn-traced', async () => {
  const child = await add.delay(1, 2);
  const message = transport.broker
    .peek(queueUrl)
    .map((m) => decodeTaskMessage(m.body))
    .find((m) => m.headers.id === child.id);
  return message?.headers.traceparent ?? null;
});
