/**
 * Remote control through records (docs/monitoring.md): the commands workers answer, how a stored record is
 * validated before anything acts on it, and what each command does. A record that is not a valid command is
 * skipped (the worker logs it once); a valid one with an unknown name gets an error reply, as Celery's
 * `Panel` answers `{'error': 'No such command'}`.
 */
import type { ControlCommand, StoredControl } from '../ports/monitoring-store.js';
import { isFields } from '../protocol/is-fields.js';

/** The control commands, by Celery's names. */
export const ControlName = {
  PING: 'ping',
  SHUTDOWN: 'shutdown',
  RATE_LIMIT: 'rate_limit',
  ADD_CONSUMER: 'add_consumer',
  CANCEL_CONSUMER: 'cancel_consumer',
} as const;
export type ControlName = (typeof ControlName)[keyof typeof ControlName];

const NAMES: readonly string[] = Object.values(ControlName);

/** A command's result for one worker: `ok` with a value, or `error` saying why not. */
export type ControlResult = { readonly ok: unknown } | { readonly error: string };

/** What a host lets commands do; a host that cannot do something leaves it out and the command errs. */
export interface ControlTarget {
  readonly hostname: string;
  /** Stops the host, as SIGTERM would (`celeriac worker` only). */
  readonly shutdown?: () => void;
  /** Starts consuming a Celery queue (`celeriac worker` only). */
  readonly addConsumer?: (queue: string) => Promise<void>;
  /** Stops consuming a Celery queue (`celeriac worker` only). */
  readonly cancelConsumer?: (queue: string) => Promise<void>;
}

/**
 * The command a stored record holds, or why it holds none.
 *
 * @example
 * parseControl({ id: 'c1', body: '{"id":"c1","command":"ping","arguments":{},"createdAtMs":1}' }) // a ControlCommand
 */
export function parseControl(stored: StoredControl): ControlCommand | { readonly invalid: string } {
  let value: unknown;
  try {
    value = JSON.parse(stored.body);
  } catch {
    return { invalid: 'it is not JSON' };
  }
  if (!isFields(value)) return { invalid: 'it is not a JSON object' };
  if (value.id !== stored.id) return { invalid: `its id ${JSON.stringify(value.id)} is not the record's` };
  if (typeof value.command !== 'string' || value.command === '') return { invalid: 'it names no command' };
  if (!isFields(value.arguments)) return { invalid: '`arguments` is not an object' };
  if (typeof value.createdAtMs !== 'number') return { invalid: '`createdAtMs` is not a number' };
  const destination = value.destination;
  if (
    destination !== undefined &&
    !(Array.isArray(destination) && destination.every((name) => typeof name === 'string'))
  ) {
    return { invalid: '`destination` is not a list of hostnames' };
  }
  return {
    id: stored.id,
    command: value.command,
    arguments: value.arguments,
    createdAtMs: value.createdAtMs,
    ...(destination === undefined ? {} : { destination: destination as string[] }),
  };
}

/** Whether a command is meant for this host. */
export function isFor(command: ControlCommand, hostname: string): boolean {
  return command.destination === undefined || command.destination.includes(hostname);
}

function queueArgument(command: ControlCommand): string | { readonly error: string } {
  const queue = command.arguments.queue;
  return typeof queue === 'string' && queue !== ''
    ? queue
    : { error: `${command.command} needs a \`queue\` argument naming a Celery queue` };
}

/** Carries out one command on a host; never throws. */
export async function runControl(command: ControlCommand, target: ControlTarget): Promise<ControlResult> {
  try {
    switch (command.command) {
      case ControlName.PING:
        return { ok: 'pong' };
      case ControlName.SHUTDOWN:
        if (!target.shutdown) {
          return {
            error: 'a Lambda function is not shut down by command: set its reserved concurrency to 0',
          };
        }
        return { ok: 'shutting down' };
      case ControlName.RATE_LIMIT:
        return {
          error:
            'celeriac workers read rate limits from the limits record, which `celeriac control rate-limit` ' +
            'writes; they pick a change up within 10 s',
        };
      case ControlName.ADD_CONSUMER:
      case ControlName.CANCEL_CONSUMER: {
        const queue = queueArgument(command);
        if (typeof queue !== 'string') return queue;
        const adding = command.command === ControlName.ADD_CONSUMER;
        const act = adding ? target.addConsumer : target.cancelConsumer;
        if (!act) return { error: `a Lambda function consumes the queues its event source mappings name` };
        await act(queue);
        // Celery's replies (`celery/worker/control.py`).
        return { ok: adding ? `add consumer ${queue}` : `no longer consuming from ${queue}` };
      }
      default:
        return {
          error: `No such command ${JSON.stringify(command.command)}; workers answer ${NAMES.join(', ')}`,
        };
    }
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
