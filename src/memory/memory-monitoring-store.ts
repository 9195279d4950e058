/** The monitoring store in memory: worker, control and reply records, with their expiry, for tests. */
import type {
  ControlCommand,
  ControlReply,
  MonitoringStore,
  StoredControl,
  WorkerRecord,
} from '../ports/monitoring-store.js';

interface Stored {
  readonly atMs: number;
  readonly expiresAtMs: number;
  readonly body: string;
}

/** {@link MonitoringStore} in memory. */
export class MemoryMonitoringStore implements MonitoringStore {
  readonly #now: () => number;
  readonly #workers = new Map<string, Stored>();
  readonly #controls = new Map<string, Stored>();
  readonly #replies = new Map<string, Stored>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #store(map: Map<string, Stored>, id: string, atMs: number, body: string, ttlSeconds: number): void {
    map.set(id, { atMs, expiresAtMs: this.#now() + ttlSeconds * 1000, body });
  }

  #since(map: Map<string, Stored>, sinceMs: number): Array<[string, Stored]> {
    const now = this.#now();
    return [...map]
      .filter(([, record]) => record.atMs >= sinceMs && record.expiresAtMs > now)
      .sort(([, a], [, b]) => a.atMs - b.atMs);
  }

  async putWorker(record: WorkerRecord, ttlSeconds: number): Promise<void> {
    this.#store(this.#workers, record.workerId, record.heartbeatAtMs, JSON.stringify(record), ttlSeconds);
  }

  async listWorkers(sinceMs: number): Promise<WorkerRecord[]> {
    return this.#since(this.#workers, sinceMs).map(([, record]) => JSON.parse(record.body) as WorkerRecord);
  }

  async putControl(command: ControlCommand, ttlSeconds: number): Promise<void> {
    this.#store(this.#controls, command.id, command.createdAtMs, JSON.stringify(command), ttlSeconds);
  }

  /** Stores a control record's text as it is, valid or not (for tests of what workers do with bad records). */
  putRawControl(id: string, body: string, atMs: number = this.#now()): void {
    this.#store(this.#controls, id, atMs, body, 600);
  }

  async listControls(sinceMs: number): Promise<StoredControl[]> {
    return this.#since(this.#controls, sinceMs).map(([id, record]) => ({ id, body: record.body }));
  }

  async putReply(reply: ControlReply, ttlSeconds: number): Promise<void> {
    const id = `${reply.commandId}-${reply.workerId}`;
    this.#store(this.#replies, id, reply.atMs, JSON.stringify(reply), ttlSeconds);
  }

  async listReplies(commandId: string, sinceMs: number): Promise<ControlReply[]> {
    return this.#since(this.#replies, sinceMs)
      .map(([, record]) => JSON.parse(record.body) as ControlReply)
      .filter((reply) => reply.commandId === commandId);
  }
}
