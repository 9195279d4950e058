/**
 * The event-bus port on EventBridge: one `PutEvents` per batch. The SDK client is loaded and created at the first
 * put, so an app that sends no events never loads `@aws-sdk/client-eventbridge`. Region, endpoint
 * (`AWS_ENDPOINT_URL_EVENTBRIDGE`, `AWS_ENDPOINT_URL`) and timeouts resolve as for the other clients
 * (`clients.ts`).
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventBus, EventBusEntry } from '../ports/event-bus.js';
import { backendError } from './aws-error.js';
import { type AwsClientOptions, sdkClientConfig } from './clients.js';

/** Options for {@link EventBridgeEventBus}. */
export interface EventBridgeEventBusOptions extends AwsClientOptions {
  /** Bus name or ARN. Default `default`. */
  readonly eventBusName?: string;
  /** A client to use instead of building one (tests count its requests this way). */
  readonly client?: EventBridgeClient;
}

/** Puts events on an EventBridge bus. */
export class EventBridgeEventBus implements EventBus {
  readonly #options: EventBridgeEventBusOptions;
  readonly #busName: string;
  #client:
    | Promise<{ client: EventBridgeClient; send: (entries: readonly EventBusEntry[]) => Promise<number> }>
    | undefined;

  constructor(options: EventBridgeEventBusOptions = {}) {
    this.#options = options;
    this.#busName = options.eventBusName ?? 'default';
  }

  async #load() {
    const sdk = await import('@aws-sdk/client-eventbridge');
    const client = this.#options.client ?? new sdk.EventBridgeClient(sdkClientConfig(this.#options));
    const send = async (entries: readonly EventBusEntry[]): Promise<number> => {
      const output = await client.send(
        new sdk.PutEventsCommand({
          Entries: entries.map((entry) => ({
            EventBusName: this.#busName,
            Source: entry.source,
            DetailType: entry.detailType,
            Detail: entry.detail,
            Time: entry.time,
          })),
        }),
      );
      return output.FailedEntryCount ?? 0;
    };
    return { client, send };
  }

  async put(entries: readonly EventBusEntry[]): Promise<{ readonly failedCount: number }> {
    if (entries.length === 0) return { failedCount: 0 };
    this.#client ??= this.#load();
    try {
      const { send } = await this.#client;
      return { failedCount: await send(entries) };
    } catch (error) {
      throw backendError(`EventBridge PutEvents(${this.#busName})`, error);
    }
  }
}
