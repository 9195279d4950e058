/** An app on the in-memory transport, with its default queue created, for unit tests. */
import { App } from '../../src/app.js';
import type { ApplyOptions } from '../../src/apply-options.js';
import { type AppConfig, resolveConfig } from '../../src/config/resolve-config.js';
import { createMemoryTransport, type MemoryTransport } from '../../src/memory/index.js';
import { decodeTaskMessage, type TaskMessage } from '../../src/protocol/task-message.js';
import {
  type SendCall,
  type SendRequest,
  toTaskMessage,
  type WorkflowFields,
} from '../../src/send-request.js';
import type { ExecutionContext } from '../../src/worker/execution-context.js';
import type { InboundMessage } from '../../src/worker/message-outcome.js';
import { workerIdentity } from '../../src/worker/worker-identity.js';

export interface MemoryAppFixture {
  readonly app: App;
  readonly transport: MemoryTransport;
  readonly queueUrl: string;
  /** Receives every visible message on the default queue as inbound messages. */
  receiveAll(visibilityTimeoutSeconds?: number): Promise<InboundMessage[]>;
  /** Decoded task messages currently on the queue (visible or not). */
  queued(): TaskMessage[];
  readonly identity: ReturnType<typeof workerIdentity>;
  /** A validated send, through the app's client; options may mix apply options and workflow fields. */
  request(
    name: string,
    args: readonly unknown[],
    kwargs: Readonly<Record<string, unknown>>,
    options?: ApplyOptions & WorkflowFields,
  ): SendRequest;
  /** The task message such a send puts on the queue. */
  message(
    name: string,
    args: readonly unknown[],
    kwargs: Readonly<Record<string, unknown>>,
    options?: ApplyOptions & WorkflowFields,
  ): TaskMessage;
  /** What the execution core needs, for this app on the default queue. */
  context(extra?: Partial<ExecutionContext>): ExecutionContext;
}

const WORKFLOW_KEYS: ReadonlySet<string> = new Set<keyof WorkflowFields>([
  'retries',
  'rootId',
  'parentId',
  'groupId',
  'groupIndex',
  'chain',
  'chord',
  'stamps',
  'replyTo',
  'deliveryTag',
  'origin',
  'expiresAt',
  'queueUrl',
]);

function split(options: ApplyOptions & WorkflowFields): { options: ApplyOptions; workflow: WorkflowFields } {
  const apply: Record<string, unknown> = {};
  const workflow: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options))
    (WORKFLOW_KEYS.has(key) ? workflow : apply)[key] = value;
  return { options: apply as ApplyOptions, workflow: workflow as WorkflowFields };
}

export function memoryApp(config: AppConfig = {}): MemoryAppFixture {
  const transport = createMemoryTransport();
  const queueUrl = transport.broker.createQueue('celery');
  const app = new App(resolveConfig({ env: {}, ...config }), transport, { origin: 'gen1@test' });
  const identity = workerIdentity();
  const request: MemoryAppFixture['request'] = (name, args, kwargs, options = {}) =>
    app.client.request({ name, args, kwargs, ...split(options) });
  return {
    app,
    transport,
    queueUrl,
    identity,
    request,
    message: (name, args, kwargs, options) => toTaskMessage(request(name, args, kwargs, options)),
    context: (extra = {}) => ({
      registry: app.registry,
      runtime: app.runtime,
      identity,
      leaseMs: 60_000,
      queueName: 'celery',
      ...extra,
    }),
    async receiveAll(visibilityTimeoutSeconds = 30) {
      const out: InboundMessage[] = [];
      for (;;) {
        const batch = await transport.broker.receive(queueUrl, {
          maxMessages: 10,
          waitTimeSeconds: 0,
          visibilityTimeoutSeconds,
        });
        if (batch.length === 0) return out;
        out.push(...batch.map((m) => ({ ...m, queueUrl })));
      }
    },
    queued() {
      return transport.broker.peek(queueUrl).map((m) => decodeTaskMessage(m.body));
    },
  };
}

/**
 * Sends `call` as a producer that checks only the message itself would (Python's does not run the send
 * conversion on the signatures a message carries): what a worker must cope with when a carried follow-up
 * cannot be sent.
 */
export async function sendUnchecked(fx: MemoryAppFixture, call: SendCall): Promise<string> {
  const request = fx.app.client.request(call);
  await fx.app.client.send([request]);
  return request.taskId;
}
