/** When a worker's record counts as live, and how long records are kept. */
import type { WorkerRecord } from '../ports/monitoring-store.js';

/** Heartbeats a worker may miss before it is shown offline. */
export const MISSED_HEARTBEATS = 2;

/** Slack on top of the missed heartbeats, for clocks and slow writes. */
const GRACE_MS = 5_000;

/** Seconds a worker record lives after its last heartbeat (DynamoDB TTL): ten heartbeats, at least 5 minutes. */
export function workerRecordTtlSeconds(freqSeconds: number): number {
  return Math.max(300, Math.ceil(freqSeconds * 10));
}

/** Whether the worker is online at `nowMs`: it has not said it stopped, and its last heartbeat is recent. */
export function isOnline(record: WorkerRecord, nowMs: number): boolean {
  return (
    record.status === 'online' &&
    nowMs - record.heartbeatAtMs <= record.freqSeconds * 1000 * MISSED_HEARTBEATS + GRACE_MS
  );
}
