/** The one log line per message that both hosts print. */
import type { MessageOutcome } from './message-outcome.js';

/**
 * Formats an outcome as one line: task id, name, final state, duration, and why when it was not a plain run.
 *
 * @example
 * formatOutcome({ action: 'delete', taskId: 't-1', taskName: 'tasks.add', state: 'SUCCESS', runtimeMs: 12 })
 * // 'task t-1 tasks.add SUCCESS 12ms'
 */
export function formatOutcome(outcome: MessageOutcome, totalMs?: number): string {
  const id = outcome.taskId ?? '-';
  const name = outcome.taskName ?? '-';
  const ms = outcome.runtimeMs ?? totalMs;
  const duration = ms === undefined ? '' : ` ${Math.round(ms)}ms`;
  const action =
    outcome.action === 'delete'
      ? ''
      : ` [${outcome.action}${outcome.delaySeconds ? ` ${outcome.delaySeconds}s` : ''}]`;
  const reason = outcome.reason ? `: ${outcome.reason}` : '';
  return `task ${id} ${name} ${outcome.state}${duration}${action}${reason}`;
}
