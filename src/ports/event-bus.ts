/** The event-bus port: put events on a bus (EventBridge's `PutEvents`), in batches the bus accepts. */

/** The most entries one `PutEvents` call takes. */
export const EVENT_BUS_MAX_ENTRIES = 10;
/** The most bytes of entries one `PutEvents` call takes (256 KiB), as EventBridge counts them. */
export const EVENT_BUS_MAX_BATCH_BYTES = 256 * 1024;

/** One event for the bus. */
export interface EventBusEntry {
  /** EventBridge `Source`, e.g. `celeriac`. */
  readonly source: string;
  /** EventBridge `DetailType`: the Celery event type, e.g. `task-succeeded`. */
  readonly detailType: string;
  /** EventBridge `Detail`: the event as JSON text. */
  readonly detail: string;
  readonly time: Date;
}

/**
 * An entry's size as EventBridge counts it: UTF-8 bytes of source, detail type and detail, plus 14 for the time.
 */
export function eventBusEntryBytes(entry: EventBusEntry): number {
  return (
    Buffer.byteLength(entry.source) +
    Buffer.byteLength(entry.detailType) +
    Buffer.byteLength(entry.detail) +
    14
  );
}

/** A bus. */
export interface EventBus {
  /** Puts at most {@link EVENT_BUS_MAX_ENTRIES} entries; resolves with how many the bus refused. */
  put(entries: readonly EventBusEntry[]): Promise<{ readonly failedCount: number }>;
}
