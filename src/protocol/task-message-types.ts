/**
 * The shape of a Celery task message in protocol v2 terms (`celery/app/amqp.py` `AMQP.as_task_v2`): the headers,
 * the envelope properties and the `[args, kwargs, embed]` body, whatever protocol the producer used.
 */
import type { SignatureDict } from './signature.js';

/** Protocol v2 headers, in the order Celery 5.6 writes them. */
export interface TaskHeaders {
  /** Language of the producer. celeriac writes `py` too: Celery workers read it as "a standard Celery message", and the bytes then match what Python sends. */
  lang: string;
  /** Registered task name. */
  task: string;
  /** Task id. */
  id: string;
  /** Alias used for logs and monitoring instead of `task`. */
  shadow: string | null;
  /** Earliest execution time, ISO-8601 with offset. */
  eta: string | null;
  /** Expiry time, ISO-8601 with offset; a task received after it is revoked. */
  expires: string | null;
  /** Id of the group this task belongs to. */
  group: string | null;
  /** Position within the group. */
  group_index: number | null;
  /** How many times this task has been retried. */
  retries: number;
  /** `[hard, soft]` time limits in seconds (Celery's actual order, not the protocol page's). */
  timelimit: [number | null, number | null];
  /** Id of the workflow's first task; equals `id` for a top-level send. */
  root_id: string | null;
  /** Id of the task that sent this one. */
  parent_id: string | null;
  /** `saferepr` of the positional arguments, for logs. */
  argsrepr: string;
  /** `saferepr` of the keyword arguments, for logs. */
  kwargsrepr: string;
  /** Sender node name, `gen<pid>@<hostname>`. */
  origin: string;
  /** When true the worker stores no result. */
  ignore_result: boolean;
  /** How many times the task was replaced (`Task.replace`). */
  replaced_task_nesting: number;
  /** Names of the stamps in {@link TaskHeaders.stamps}. */
  stamped_headers: string[] | null;
  /** Stamp values by name. */
  stamps: Record<string, unknown>;
  /** Custom headers from `applyAsync({ headers })`, and `compression` when the body is compressed. */
  [custom: string]: unknown;
}

/** Envelope properties, in the order kombu writes them. */
export interface TaskProperties {
  /** Equals the task id. */
  correlation_id?: string;
  /** Reply queue id; unused on SQS. */
  reply_to?: string;
  /** AMQP delivery mode; `2` (persistent). */
  delivery_mode?: number;
  /** Milliseconds until expiry, as a string, when `expires` is set. */
  expiration?: string;
  /** `{exchange, routing_key}`; `routing_key` is the Celery queue name. */
  delivery_info?: { exchange?: string; routing_key?: string; [key: string]: unknown };
  /** Message priority; SQS ignores it. */
  priority?: number;
  /** How `body` is encoded in the envelope: `base64` or `utf-8`. */
  body_encoding?: string;
  /** Publisher's tag; replaced by the SQS receipt handle on receive. */
  delivery_tag?: string;
  [key: string]: unknown;
}

/** The third element of a v2 body: what to do after the task. */
export interface TaskEmbed {
  /** `link` signatures, called with the result on success. */
  callbacks: SignatureDict[] | null;
  /** `link_error` signatures, called on failure. */
  errbacks: SignatureDict[] | null;
  /** Remaining chain steps, last step to run first (the next one is the last element). */
  chain: SignatureDict[] | null;
  /** Chord body to call when this task is the last of its chord header to finish. */
  chord: SignatureDict | null;
}

/** A decoded task message in protocol v2 terms, whatever the producer sent. */
export interface TaskMessage {
  /** Which protocol the producer used. */
  readonly protocol: 1 | 2;
  readonly headers: TaskHeaders;
  readonly properties: TaskProperties;
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown>;
  readonly embed: TaskEmbed;
}
