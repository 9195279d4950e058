/** An app on the in-memory transport, with its default queue created, for unit tests. */
import { App } from '../../src/app.js';
import { type AppConfig, resolveConfig } from '../../src/config/resolve-config.js';
import { createMemoryTransport, type MemoryTransport } from '../../src/memory/index.js';
import { decodeTaskMessage, type TaskMessage } from '../../src/protocol/task-message.js';
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
}

export function memoryApp(config: AppConfig = {}): MemoryAppFixture {
  const transport = createMemoryTransport();
  const queueUrl = transport.broker.createQueue('celery');
  const app = new App(resolveConfig({ env: {}, ...config }), transport, { origin: 'gen1@test' });
  return {
    app,
    transport,
    queueUrl,
    identity: workerIdentity(),
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
