/**
 * Shape checks for the worker and reply records read back from the monitoring store. Anyone who may write the
 * results table can write such an item, and `celeriac inspect`, `control` and the dashboard print every field
 * they read: a record without its lists, or with a time no `Date` holds, is left out rather than crashing them.
 */

import type { ActiveTask, ControlReply, WorkerRecord } from '../ports/monitoring-store.js';
import { isFields } from '../protocol/is-fields.js';

/** The largest epoch milliseconds a `Date` holds. */
const MAX_TIME_MS = 8.64e15;

const isText = (value: unknown): value is string => typeof value === 'string';
const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_TIME_MS;
const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0;
const isTextList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isText);

const isOptional = (value: unknown, check: (value: unknown) => boolean): boolean =>
  value === undefined || check(value);

function isActiveTask(value: unknown): value is ActiveTask {
  return (
    isFields(value) &&
    isText(value.id) &&
    isText(value.name) &&
    isTime(value.startedAtMs) &&
    isOptional(value.args, isText) &&
    isOptional(value.kwargs, isText) &&
    isOptional(value.queue, isText) &&
    isOptional(value.redelivered, (v) => typeof v === 'boolean')
  );
}

/** True for a record with every field of a {@link WorkerRecord}, each of its type. */
export function isWorkerRecord(value: unknown): value is WorkerRecord {
  return (
    isFields(value) &&
    isText(value.workerId) &&
    isText(value.hostname) &&
    isCount(value.pid) &&
    (value.kind === 'worker' || value.kind === 'lambda') &&
    isText(value.pool) &&
    isCount(value.concurrency) &&
    isTextList(value.queues) &&
    Array.isArray(value.active) &&
    value.active.every(isActiveTask) &&
    isFields(value.processed) &&
    Object.values(value.processed).every(isCount) &&
    isOptional(value.totals, (totals) => isFields(totals) && Object.values(totals).every(isCount)) &&
    isTextList(value.registered) &&
    isText(value.version) &&
    isTime(value.startedAtMs) &&
    isTime(value.heartbeatAtMs) &&
    typeof value.freqSeconds === 'number' &&
    value.freqSeconds > 0 &&
    Number.isFinite(value.freqSeconds) &&
    (value.status === 'online' || value.status === 'offline')
  );
}

/** True for a reply with its ids, a time, and either a value (`ok`) or a reason (`error`, text). */
export function isControlReply(value: unknown): value is ControlReply {
  return (
    isFields(value) &&
    isText(value.commandId) &&
    isText(value.workerId) &&
    isText(value.hostname) &&
    isTime(value.atMs) &&
    (value.error === undefined ? value.ok !== undefined : isText(value.error))
  );
}
