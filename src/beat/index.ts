/**
 * Periodic schedules in Celery's terms (`crontab`, `every`), their exact EventBridge Scheduler expressions,
 * and the due slots a local beat fires.
 */
export { type Cronspec, Crontab, type CrontabSpec, crontab } from './crontab.js';
export { type DueSlotsInput, dueSlots, type NextSlotOptions, nextSlotAfter, slotId } from './due-slots.js';
export {
  type CrontabField,
  InvalidCrontabError,
  InvalidScheduleError,
  InvalidTimezoneError,
  UnsupportedReason,
  UnsupportedScheduleError,
} from './errors.js';
export { Every, type EveryDuration, every } from './every.js';
export { isSchedule, type Schedule, ScheduleKind } from './schedule.js';
export { assertTimezone, DEFAULT_TIMEZONE } from './timezone.js';
export {
  MAX_SCHEDULE_EXPRESSION_LENGTH,
  type ScheduleExpression,
  type ToScheduleExpressionsOptions,
  toScheduleExpressions,
} from './to-schedule-expressions.js';
