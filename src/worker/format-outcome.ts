/** The one log line per message that both hosts print. */
import { LogLevel } from '../monitoring/json-log.js';
import { type MessageOutcome, MessageState } from './message-outcome.js';

/**
 * The level of an outcome's line in JSON logs: ERROR for a task that failed or a message that is not a task,
 * WARN for one that will run again or was refused, INFO for the rest.
 */
export function outcomeLevel(state: MessageOutcome['state']): LogLevel {
  if (state === MessageState.FAILURE || state === MessageState.INVALID) return LogLevel.ERROR;
  if (state === MessageState.RETRY || state === MessageState.REJECTED) return LogLevel.WARN;
  return LogLevel.INFO;
}

/** What the line says besides the outcome. */
export interface OutcomeLineOptions {
  /** The SQS message id: printed for any outcome that leaves the message on the queue, so it can be found there (in the dead-letter queue, say). */
  readonly messageId?: string;
  /** Time the whole message took, printed when the task itself did not run. */
  readonly totalMs?: number;
}

/**
 * Formats an outcome as one line: task id, name, final state, duration, and why when it was not a plain run.
 *
 * @example
 * formatOutcome({ action: 'delete', taskId: 't-1', taskName: 'tasks.add', state: 'SUCCESS', runtimeMs: 12 })
 * // 'task t-1 tasks.add SUCCESS 12ms'
 * formatOutcome({ action: 'reject', state: 'INVALID', reason: 'DecodeError: ...' }, { messageId: 'm-9' })
 * // 'task - - INVALID [reject] message m-9: DecodeError: ...'
 */
export function formatOutcome(outcome: MessageOutcome, options: OutcomeLineOptions = {}): string {
  const id = outcome.taskId ?? '-';
  const name = outcome.taskName ?? '-';
  const ms = outcome.runtimeMs ?? options.totalMs;
  const duration = ms === undefined ? '' : ` ${Math.round(ms)}ms`;
  const action =
    outcome.action === 'delete'
      ? ''
      : ` [${outcome.action}${outcome.delaySeconds ? ` ${outcome.delaySeconds}s` : ''}]`;
  const message = outcome.action !== 'delete' && options.messageId ? ` message ${options.messageId}` : '';
  const reason = outcome.reason ? `: ${outcome.reason}` : '';
  return oneLine(`task ${id} ${name} ${outcome.state}${duration}${action}${message}${reason}`);
}

/** Control characters (and Unicode line breaks) a message's task name or an error could carry. */
const CONTROL = /[\p{Cc}\u2028\u2029]/gu;

/**
 * `line` with its control characters escaped (`\n`, `\x1b`, `\u2028`): a task name or error from a message
 * cannot start a line of its own that reads as another task's outcome, nor send escapes to a terminal.
 */
function oneLine(line: string): string {
  return line.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code > 0xff
      ? `\\u${code.toString(16).padStart(4, '0')}`
      : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}
