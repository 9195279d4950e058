/**
 * The keys and the timestamp of Celery's DynamoDB backend (`celery/backends/dynamodb.py`). Celery builds each key
 * as bytes and stores their Python repr as the string partition key `id`; celeriac keeps that quirk so Python's
 * `AsyncResult` and celeriac find the same items.
 */
import { expiresAtEpochSeconds } from '../ports/result-store.js';

/**
 * Celery's key for a task's result: the Python repr of `b'celery-task-meta-<id>'`.
 *
 * @example
 * celeryTaskKey('d7f5…') // "b'celery-task-meta-d7f5…'"
 */
export function celeryTaskKey(taskId: string): string {
  return `b'celery-task-meta-${taskId}'`;
}

/** Celery's key for a saved group: the Python repr of `b'celery-taskset-meta-<id>'`. */
export function celeryGroupKey(groupId: string): string {
  return `b'celery-taskset-meta-${groupId}'`;
}

/** Celery's key for a chord counter: the Python repr of `b'chord-unlock-<id>'`. */
export function celeryChordCounterKey(groupId: string): string {
  return `b'chord-unlock-${groupId}'`;
}

/** Celery's `timestamp` attribute: seconds since the epoch, as a decimal string. */
export function celeryTimestamp(nowMs: number): string {
  return String(nowMs / 1000);
}

/** The `ttl` attribute for DynamoDB TTL: epoch seconds when the item may be deleted. */
export function ttlEpochSeconds(nowMs: number, ttlSeconds: number): string {
  return String(expiresAtEpochSeconds(nowMs, ttlSeconds));
}
