/** The `task-sent` event of a message, as Celery's `send_task_message` publishes it. */
import type { TaskMessage } from '../protocol/task-message.js';
import type { EventFields } from './celery-event.js';

/** The fields of `task-sent` for a message sent to the Celery queue `queue`. */
export function taskSentFields(message: TaskMessage, queue: string): EventFields['task-sent'] {
  const { headers } = message;
  return {
    uuid: headers.id,
    root_id: headers.root_id,
    parent_id: headers.parent_id,
    name: headers.task,
    args: headers.argsrepr,
    kwargs: headers.kwargsrepr,
    retries: headers.retries,
    eta: headers.eta,
    expires: headers.expires,
    queue,
    exchange: '',
    routing_key: queue,
  };
}

/** The fields of `task-received` for a message a worker is about to run (Celery's `default` strategy). */
export function taskReceivedFields(message: TaskMessage): EventFields['task-received'] {
  const { headers } = message;
  return {
    uuid: headers.id,
    name: headers.task,
    args: headers.argsrepr,
    kwargs: headers.kwargsrepr,
    root_id: headers.root_id,
    parent_id: headers.parent_id,
    retries: headers.retries,
    eta: headers.eta,
    expires: headers.expires,
  };
}
