/**
 * What the execution core is given by its host, and the per-message scope its steps share. A host (the Lambda
 * handler, `celeriac worker`) hands over the registry and the runtime explicitly; no step reaches through an app.
 */
import { Client } from '../client.js';
import { BackendError } from '../errors.js';
import type { FlowControl } from '../flow/flow-control.js';
import type { TaskRegistry } from '../registry.js';
import type { Runtime } from '../runtime.js';
import type { InboundMessage, MessageOutcome } from './message-outcome.js';
import { MessageAction } from './message-outcome.js';
import type { Pool } from './pool/pool.js';
import type { WorkerIdentity } from './worker-identity.js';

/** What every host needs: the tasks to run and the runtime to run them on. An `App` is one. */
export interface WorkerDeps {
  readonly registry: TaskRegistry;
  readonly runtime: Runtime;
}

/** A claim the core holds while a task runs, for the host to renew. */
export interface ClaimHandle {
  readonly taskId: string;
  /** Unique per delivery: a second delivery of the same message is another owner, and is refused while this one holds the lease. */
  readonly owner: string;
  /** The task's name. */
  readonly taskName?: string;
  /** The message's `argsrepr` and `kwargsrepr` headers, for `inspect active`. */
  readonly argsrepr?: string;
  readonly kwargsrepr?: string;
}

/** What the core needs from its host for one message. */
export interface ExecutionContext extends WorkerDeps {
  readonly identity: WorkerIdentity;
  /** How long a claim holds: at least as long as the host may run the task before SQS redelivers. */
  readonly leaseMs: number;
  /** The Celery queue name of the source queue (for retries' `delivery_info`). */
  readonly queueName: string;
  /**
   * Aborted when the host is stopping (`celeriac worker` on SIGTERM), or when the claim could not be kept alive:
   * passed on to the task's signal. A run that ends because the worker stops (its reason, a `WorkerShutdown`) is
   * handed back to the queue, not recorded. The Lambda host passes none: a function past its timeout is stopped by
   * Lambda, and SQS redelivers the message.
   */
  readonly signal?: AbortSignal;
  /** Called once the task id is claimed, so the host can renew the lease while the task runs. */
  readonly onClaimed?: (claim: ClaimHandle) => void;
  /** Where diagnostic lines go (the per-task line is the host's). Default: nowhere. */
  readonly log?: (line: string) => void;
  /** Where task functions run (`celeriac worker --pool`). Default: inline, in this event loop. */
  readonly pool?: Pool;
  /** Aborted to stop the message's run at once (a terminating revoke): the pool ends its thread or process. */
  readonly kill?: AbortSignal;
  /** Flow control of this host (`--rate-limit-scope worker`); default: the runtime's. */
  readonly flow?: FlowControl;
}

/** Pause before a message whose processing hit a transient error is delivered again. */
export const TRANSIENT_RETRY_SECONDS = 5;

/** One client per registry and runtime: a host runs many messages with the same two. */
const clients = new WeakMap<Runtime, WeakMap<TaskRegistry, Client>>();

function clientFor(registry: TaskRegistry, runtime: Runtime): Client {
  let byRegistry = clients.get(runtime);
  if (!byRegistry) {
    byRegistry = new WeakMap();
    clients.set(runtime, byRegistry);
  }
  let client = byRegistry.get(registry);
  if (!client) {
    client = new Client(registry, runtime);
    byRegistry.set(registry, client);
  }
  return client;
}

/** The state one message's processing shares between its steps. */
export class MessageScope {
  readonly ctx: ExecutionContext;
  readonly runtime: Runtime;
  readonly client: Client;
  readonly inbound: InboundMessage;
  /** The claim owner of this delivery. */
  readonly owner: string;

  constructor(ctx: ExecutionContext, inbound: InboundMessage) {
    this.ctx = ctx;
    this.runtime = ctx.runtime;
    this.client = clientFor(ctx.registry, ctx.runtime);
    this.inbound = inbound;
    this.owner = `${ctx.identity.workerId}:${globalThis.crypto.randomUUID()}`;
  }

  now(): number {
    return this.runtime.clock.now();
  }

  log(line: string): void {
    this.ctx.log?.(line);
  }
}

/** The message text of any thrown value. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether an error is a backing service's failure that may pass (throttling, 5xx, a reset connection). */
export function isTransient(error: unknown): boolean {
  return error instanceof BackendError && error.retryable;
}

/** Leave the message for redelivery after a transient failure, saying what was not done. */
export function retryLater(
  base: Pick<MessageOutcome, 'taskId' | 'taskName'>,
  state: MessageOutcome['state'],
  reason: string,
): MessageOutcome {
  return { ...base, action: MessageAction.RETRY_LATER, delaySeconds: TRANSIENT_RETRY_SECONDS, state, reason };
}
