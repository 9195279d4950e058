/**
 * An app for unit tests: the same `App` a deployed project uses, on the in-memory transport (SQS, DynamoDB and S3
 * in memory, with their semantics), with its queues created and none of the shell's `CELERIAC_*` variables read.
 */
import { App } from '../app.js';
import { type AppConfig, resolveConfig } from '../config/resolve-config.js';
import { createMemoryTransport, type MemoryTransport } from '../memory/index.js';

/** Options for {@link createTestApp}. */
export interface TestAppOptions extends AppConfig {
  /** The in-memory transport to run on (to inspect its queues, or share it between apps). Default: a new one. */
  readonly transport?: MemoryTransport;
  /** Celery queues to create besides the default queue. */
  readonly queues?: readonly string[];
  /** Sender node name for the `origin` header. Default `gen<pid>@<hostname>`, as Celery. */
  readonly origin?: string;
}

/**
 * Creates an app on an in-memory transport, with its default queue and `queues` created. Settings come from the
 * options only (`env` defaults to `{}`), so a test does not depend on the shell it runs in.
 *
 * @example
 * const app = createTestApp({ name: 'my-app' });
 * const add = app.task('tasks.add', (a: number, b: number) => a + b);
 */
export function createTestApp(options: TestAppOptions = {}): App {
  const {
    transport = createMemoryTransport(undefined, { exactValues: options.exactValues ?? false }),
    queues = [],
    origin,
    ...config
  } = options;
  const app = new App(resolveConfig({ env: {}, ...config }), transport, origin ? { origin } : {});
  for (const queue of [app.config.defaultQueue, ...queues]) {
    transport.broker.createQueue(app.runtime.queues.sqsName(queue));
  }
  return app;
}
