/**
 * The monitoring-store port: the worker registry and remote control, as records instead of a broadcast channel.
 * Each worker (a `celeriac worker`, a warm Lambda execution environment) writes its record at every heartbeat and
 * reads the control records written since its last one; a command's replies are records too, which the caller
 * gathers until a timeout. Every record expires (DynamoDB TTL). See docs/monitoring.md.
 */

/** A task a worker is running. */
export interface ActiveTask {
  readonly id: string;
  readonly name: string;
  /** When its claim was taken, epoch ms. */
  readonly startedAtMs: number;
  /** Its `argsrepr` and `kwargsrepr`, cut to 1,024 characters. Absent from records of versions before them. */
  readonly args?: string;
  readonly kwargs?: string;
  /** The Celery queue it came from. */
  readonly queue?: string;
  /** Whether SQS delivered it before. */
  readonly redelivered?: boolean;
}

/** What a worker says about itself at each heartbeat. */
export interface WorkerRecord {
  /** Unique per process or execution environment. */
  readonly workerId: string;
  /** Celery-style node name, `celeriac@<host>`. */
  readonly hostname: string;
  readonly pid: number;
  /** `worker` for `celeriac worker`, `lambda` for a Lambda execution environment. */
  readonly kind: 'worker' | 'lambda';
  /** `inline`, `threads`, `processes`. */
  readonly pool: string;
  readonly concurrency: number;
  /** Celery queue names it consumes. */
  readonly queues: readonly string[];
  readonly active: readonly ActiveTask[];
  /** Messages processed since it started, by final state. */
  readonly processed: Readonly<Record<string, number>>;
  /**
   * Tasks processed since it started, by task name (Celery's `stats` `total`); only names it has. Absent from
   * records of versions before it.
   */
  readonly totals?: Readonly<Record<string, number>>;
  /** Names of the tasks it can run. */
  readonly registered: readonly string[];
  /** celeriac's version. */
  readonly version: string;
  readonly startedAtMs: number;
  readonly heartbeatAtMs: number;
  /** Seconds between heartbeats. */
  readonly freqSeconds: number;
  /** `offline` once it stopped cleanly; a worker that died just stops beating. */
  readonly status: 'online' | 'offline';
}

/** A control command for workers. */
export interface ControlCommand {
  readonly id: string;
  /** Celery's name: `ping`, `shutdown`, `rate_limit`, `add_consumer`, `cancel_consumer`. */
  readonly command: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  /** Hostnames that should act on it; every worker when absent. */
  readonly destination?: readonly string[];
  readonly createdAtMs: number;
}

/** A control record as stored: its id and text, which a worker validates before acting on it. */
export interface StoredControl {
  readonly id: string;
  readonly body: string;
}

/** One worker's answer to a command: `ok` with a value, or `error` with a reason. */
export interface ControlReply {
  readonly commandId: string;
  readonly workerId: string;
  readonly hostname: string;
  readonly ok?: unknown;
  readonly error?: string;
  readonly atMs: number;
}

/** Worker records, control records and replies. */
export interface MonitoringStore {
  /** Writes the worker's record, to expire after `ttlSeconds`. */
  putWorker(record: WorkerRecord, ttlSeconds: number): Promise<void>;
  /** Records that beat at or after `sinceMs`. */
  listWorkers(sinceMs: number): Promise<WorkerRecord[]>;
  /** Writes a control record, to expire after `ttlSeconds`. */
  putControl(command: ControlCommand, ttlSeconds: number): Promise<void>;
  /** Control records written at or after `sinceMs`, oldest first, unparsed. */
  listControls(sinceMs: number): Promise<StoredControl[]>;
  /** Writes a reply, to expire after `ttlSeconds`. */
  putReply(reply: ControlReply, ttlSeconds: number): Promise<void>;
  /** The replies to a command written at or after `sinceMs`. */
  listReplies(commandId: string, sinceMs: number): Promise<ControlReply[]>;
}
