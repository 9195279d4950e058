/**
 * The names of the task index: two sparse global secondary indexes on the results table itself, so indexing a
 * task costs no extra request (only the index's replicated write units). `infra/` creates the indexes
 * (`ResultStore({ taskIndex: true })`), `src/aws/` writes the keys and queries them. Keep the names here only.
 *
 * Each key is `<value>#<shard>`, with the shard taken from the task id, so no single state or task name becomes
 * a hot index partition (DynamoDB gives one partition key value about 1,000 write units a second); a query asks
 * every shard and merges the answers by time.
 */
export const TASK_INDEX = {
  /** Index by state: partition `idx_state`, sort `timestamp`. */
  BY_STATE: 'celeriac-by-state',
  /** Index by task name: partition `idx_name`, sort `timestamp`. */
  BY_NAME: 'celeriac-by-name',
  /** `<state>#<shard>`, written beside every `task_state` while indexing is on. */
  STATE_KEY: 'idx_state',
  /** `<task name>#<shard>`, written with the claim while indexing is on. */
  NAME_KEY: 'idx_name',
  /** Celery's `timestamp` attribute (epoch seconds, a number), the sort key of both indexes. */
  SORT_KEY: 'timestamp',
  /** The JSON of a worker, control or reply record (docs/monitoring.md), projected into the state index. */
  MONITORING_BODY: 'monitoring',
  /** Shards per key value. */
  SHARDS: 8,
} as const;
