/**
 * The checks of one send's options, each refusing a wrong value with an {@link InvalidOptionError} that names the
 * option, what it takes and what it got: option names, times, the task id, custom headers, and the signatures
 * `link` and `linkError` carry. `toSendRequest` (send-request.ts) runs them.
 */
import type { ApplyOptions } from './apply-options.js';
import { plainSignature } from './canvas/signature-options.js';
import { InvalidOptionError, InvalidTaskError } from './errors.js';
import { CELERY_HEADER_NAMES } from './protocol/celery-headers.js';
import { parseIsoDateTime } from './protocol/iso-time.js';
import { readSignature } from './protocol/nested-signatures.js';
import type { SignatureDict } from './protocol/signature.js';
import { isTaskId, TASK_ID_RULE } from './protocol/task-id.js';

function nonNegativeSeconds(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw InvalidOptionError.expected(option, 'a number of seconds >= 0', value);
  }
  return value;
}

/** The years an ISO-8601 datetime with a 4-digit year holds, as Python's `datetime` (`MINYEAR`, `MAXYEAR`). */
const YEARS = 'in the years 0001 to 9999 UTC';

/**
 * `date`, when the message can carry it: an `eta` or `expires` outside the years 1-9999 (or a countdown that
 * overflows a `Date`) would be written as a time no worker reads, and Celery's `datetime` cannot hold it.
 */
function writable(option: string, date: Date, value: unknown, expected: string): Date {
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 1 || year > 9999) {
    throw InvalidOptionError.expected(option, expected, value);
  }
  return date;
}

export function toDate(option: string, value: Date | string): Date {
  const date = typeof value === 'string' ? parseIsoDateTime(value) : value;
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw InvalidOptionError.expected(option, 'a valid Date or ISO-8601 time', value);
  }
  return writable(option, date, value, `a Date or ISO-8601 time ${YEARS}`);
}

/** Now plus `seconds` of the option, refused when the time it gives cannot be written. */
export function secondsFromNow(option: string, value: unknown, nowMs: number): Date {
  const seconds = nonNegativeSeconds(option, value);
  const expected = `a number of seconds >= 0 that gives a time ${YEARS}`;
  return writable(option, new Date(nowMs + seconds * 1000), value, expected);
}

/**
 * Checks a task id can serve as a DynamoDB key in Celery's `b'celery-task-meta-<id>'` form unchanged: printable
 * ASCII without quotes or backslashes (Python would escape those in the bytes repr).
 */
export function validateTaskId(taskId: unknown): string {
  if (!isTaskId(taskId)) throw InvalidOptionError.expected('taskId', TASK_ID_RULE, taskId);
  return taskId;
}

/** The option that sets each of Celery's own headers, for the error that refuses it among custom headers. */
const HEADER_OPTIONS: Readonly<Record<string, string>> = {
  task: 'the task name',
  id: '`taskId`',
  shadow: '`shadow`',
  eta: '`eta` or `countdown`',
  expires: '`expires`',
  timelimit: '`timeLimitSeconds` and `softTimeLimitSeconds`',
  ignore_result: '`ignoreResult`',
  compression: '`compression`',
};

/**
 * The call's custom headers: a plain object none of whose names is one of Celery's own (`id`, `task`,
 * `retries`...). Celery lets a custom header overwrite those (`headers2.update(headers)`), which gives a message
 * whose header id is not its result's id, or a retry count the worker never set; celeriac refuses it.
 */
export function customHeaders(value: unknown): Readonly<Record<string, unknown>> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw InvalidOptionError.expected('headers', 'an object of custom header names to values', value);
  }
  for (const key of Object.keys(value)) {
    if (!CELERY_HEADER_NAMES.has(key)) continue;
    const option = HEADER_OPTIONS[key];
    throw new InvalidOptionError(
      `headers.${key} is one of Celery's own message headers, which celeriac writes itself${
        option === undefined ? '' : ` (set it with ${option})`
      }; give the custom header another name`,
      { option: `headers.${key}`, value: (value as Record<string, unknown>)[key] },
    );
  }
  return value as Readonly<Record<string, unknown>>;
}

/**
 * `link` or `linkError` as a list of signature dicts, each checked as a worker will read it: refused here, a
 * wrong one (a task name where a signature belongs, say) would make the whole message undecodable, and the task
 * would go to the dead-letter queue without running.
 */
export function signatureList(
  option: 'link' | 'linkError',
  value: SignatureDict | readonly SignatureDict[] | undefined,
): SignatureDict[] | null {
  if (value === undefined) return null;
  const list = (Array.isArray(value) ? [...value] : [value as SignatureDict]).map(plainSignature);
  list.forEach((signature, i) => {
    try {
      readSignature(signature, `${option}[${i}]`, '');
    } catch (error) {
      if (!(error instanceof InvalidTaskError)) throw error;
      throw new InvalidOptionError(
        `Expected \`${option}\` to be a signature (task.s(...), or a dict with \`task\`) or a list of them: ${error.message}`,
        { option, value, cause: error },
      );
    }
  });
  return list;
}

export function positiveSeconds(option: string, value: number | undefined): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw InvalidOptionError.expected(option, 'a finite number of seconds > 0', value);
  }
  return value;
}

/** Every option {@link ApplyOptions} has (checked against the interface by the compiler). */
const APPLY_OPTION_NAMES: ReadonlySet<string> = new Set(
  Object.keys({
    countdown: true,
    eta: true,
    expires: true,
    queue: true,
    taskId: true,
    headers: true,
    ignoreResult: true,
    timeLimitSeconds: true,
    softTimeLimitSeconds: true,
    shadow: true,
    priority: true,
    serializer: true,
    compression: true,
    messageGroupId: true,
    messageDeduplicationId: true,
    link: true,
    linkError: true,
  } satisfies Record<keyof ApplyOptions, true>),
);

/** The option a misspelt or Celery-spelt name means: `countDown` and `count_down` are `countdown`. */
function optionMeant(name: string): string | undefined {
  const folded = name.replace(/_/g, '').toLowerCase();
  const aliases: Readonly<Record<string, string>> = {
    timelimit: 'timeLimitSeconds',
    softtimelimit: 'softTimeLimitSeconds',
    messagegroup: 'messageGroupId',
  };
  return (
    [...APPLY_OPTION_NAMES].find((known) => known.toLowerCase() === folded) ?? aliases[folded] ?? undefined
  );
}

/**
 * Refuses an option `applyAsync` does not have: left out silently, a typo such as `countDown` would run the task
 * at once.
 */
export function checkOptionNames(options: object): void {
  for (const name of Object.keys(options)) {
    if (APPLY_OPTION_NAMES.has(name)) continue;
    const meant = optionMeant(name);
    throw new InvalidOptionError(
      `Unknown send option \`${name}\`${meant ? `; did you mean \`${meant}\`?` : ''} ` +
        `(options: ${[...APPLY_OPTION_NAMES].join(', ')})`,
      { option: name, value: (options as Record<string, unknown>)[name] },
    );
  }
}
