/**
 * The route-store port: what a migration from Python Celery needs from shared storage (docs/migrating-from-celery.md).
 * `src/aws/dynamodb-route-store.ts` keeps it in the results table, beside the results; `src/memory/memory-route-store.ts`
 * in memory.
 *
 * - **The routes record**: which side (Python Celery or celeriac) runs each task name, one JSON document written by
 *   `celeriac route` and read by both sides' workers every few seconds.
 * - **Shadow results**: what celeriac returned for a task it ran in shadow mode, one item per task id, never the
 *   task's real result item.
 */

/** What celeriac stored for one shadow run. */
export interface ShadowRecord {
  readonly taskId: string;
  readonly taskName: string;
  /** `SUCCESS` or `FAILURE`: how the shadow run ended. */
  readonly state: 'SUCCESS' | 'FAILURE';
  /** The value returned (SUCCESS) or the error's `{ exc_type, exc_message }` (FAILURE), as JSON text. */
  readonly valueJson: string;
  /** When it was stored, epoch ms. */
  readonly storedAtMs: number;
  /** The worker that ran it. */
  readonly hostname: string;
}

/** Which shadow results to list. */
export interface ShadowQuery {
  /** Only this task name. */
  readonly taskName?: string;
  /** At most this many, the most recent first. Default all. */
  readonly limit?: number;
}

/** Shared state of a migration. */
export interface RouteStore {
  /** The routes record's text, or undefined when none was written. */
  readRoutes(): Promise<string | undefined>;
  /** Replaces the routes record. */
  writeRoutes(text: string): Promise<void>;
  /** Stores a shadow result unless one is stored for the task id already; says whether it stored it. */
  putShadow(record: ShadowRecord, ttlSeconds?: number): Promise<boolean>;
  /** The shadow result of a task id. */
  getShadow(taskId: string): Promise<ShadowRecord | undefined>;
  /** Shadow results, the most recent first. */
  listShadows(query?: ShadowQuery): Promise<ShadowRecord[]>;
}
