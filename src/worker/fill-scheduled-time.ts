/**
 * A periodic firing whose scheduled time was never filled in. EventBridge Scheduler substitutes
 * `<aws.scheduler.scheduled-time>` in each firing's message, which makes the task id `<entry>-<slot>` unique per
 * slot; an emulator that delivers the template as it is (MiniStack does) would give every firing the same task id,
 * and the claim would run only the first. The worker fills the slot in from the time SQS received the message,
 * to the minute (the finest grain of a schedule), so each slot runs once there too.
 */
import { SCHEDULED_TIME_PLACEHOLDER } from '../config/schedule-definition.js';

/**
 * The message body with an unsubstituted scheduled-time placeholder replaced by the slot it was sent in, as
 * EventBridge Scheduler writes it (`2026-11-21T04:00:00Z`); any other body unchanged.
 *
 * @example
 * fillScheduledTime('{"id": "tick-<aws.scheduler.scheduled-time>"}', Date.parse('2026-11-21T04:00:07.3Z'))
 * // '{"id": "tick-2026-11-21T04:00:00Z"}'
 */
export function fillScheduledTime(body: string, sentTimestampMs: number | undefined): string {
  if (
    sentTimestampMs === undefined ||
    !Number.isFinite(sentTimestampMs) ||
    !body.includes(SCHEDULED_TIME_PLACEHOLDER)
  ) {
    return body;
  }
  const slot = new Date(Math.floor(sentTimestampMs / 60_000) * 60_000).toISOString().replace('.000Z', 'Z');
  return body.split(SCHEDULED_TIME_PLACEHOLDER).join(slot);
}
