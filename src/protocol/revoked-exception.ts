/** The exception Celery stores for a revoked or expired task. */
import type { ExceptionInfo } from './exception-info.js';

/**
 * `TaskRevokedError(reason)` in Celery's exception shape: what a REVOKED result holds.
 *
 * @example
 * revokedExceptionInfo('expired') // {exc_type: 'TaskRevokedError', exc_message: ['expired'], exc_module: 'celery.exceptions'}
 */
export function revokedExceptionInfo(reason: string): ExceptionInfo {
  return { exc_type: 'TaskRevokedError', exc_message: [reason], exc_module: 'celery.exceptions' };
}
