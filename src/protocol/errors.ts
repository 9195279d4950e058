/**
 * The root of celeriac's error hierarchy and the errors the wire format raises.
 *
 * Every error celeriac throws extends {@link CeleriacError}, carries a literal `name`, readonly fields that say
 * what was wrong, and a message that says how to fix it. Names follow Celery and kombu where they have one
 * (`ContentDisallowed`, `DecodeError`, `InvalidTaskError`), so logs read the same on both sides.
 */

const BRAND = Symbol.for('celeriac.error');

/** Options every celeriac error accepts: the underlying cause, if any. */
export interface CeleriacErrorOptions {
  readonly cause?: unknown;
}

/**
 * Base class of every error celeriac throws.
 *
 * @example
 * if (isCeleriacError(error)) console.error(error.name, error.message);
 */
export class CeleriacError extends Error {
  override readonly name: string = 'CeleriacError';
  readonly [BRAND] = true;

  constructor(message: string, options: CeleriacErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** True for any celeriac error, even one from a second copy of the package in the same process. */
export function isCeleriacError(value: unknown): value is CeleriacError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * A message used a content type celeriac refuses: anything but JSON (pickle, YAML, msgpack, unknown types).
 * Named after kombu's `ContentDisallowed`.
 */
export class ContentDisallowed extends CeleriacError {
  override readonly name = 'ContentDisallowed';
  readonly contentType: string;

  constructor(contentType: string, options: CeleriacErrorOptions = {}) {
    super(
      `Refusing content type ${JSON.stringify(contentType)}: celeriac accepts only application/json ` +
        '(pickle and YAML can run code on the receiver). Configure the producer with ' +
        "task_serializer='json'.",
      options,
    );
    this.contentType = contentType;
  }
}

/** Bytes that should hold a message could not be decoded (not base64, not UTF-8, not JSON, bad type tag). */
export class DecodeError extends CeleriacError {
  override readonly name = 'DecodeError';
  /** Which layer failed, e.g. `SQS MessageBody`, `envelope body`, `result meta`. */
  readonly layer: string;

  constructor(layer: string, detail: string, options: CeleriacErrorOptions = {}) {
    super(`Cannot decode ${layer}: ${detail}`, options);
    this.layer = layer;
  }
}

/** A value cannot be written as kombu JSON (a function, a symbol, a bigint, a circular structure, ...). */
export class EncodeError extends CeleriacError {
  override readonly name = 'EncodeError';
  /** Where in the value the problem is, as a path such as `args[1].when`. */
  readonly path: string;

  constructor(path: string, detail: string, options: CeleriacErrorOptions = {}) {
    super(`Cannot encode ${path} as JSON: ${detail}`, options);
    this.path = path;
  }
}

/**
 * A message decoded but is not a valid Celery task message (missing `task` or `id`, a body that is not
 * `[args, kwargs, embed]`, ...). Named after Celery's `InvalidTaskError`.
 */
export class InvalidTaskError extends CeleriacError {
  override readonly name = 'InvalidTaskError';
  /** The task id, when the message got far enough to name one. */
  readonly taskId: string | undefined;

  constructor(message: string, options: CeleriacErrorOptions & { taskId?: string } = {}) {
    super(message, options);
    this.taskId = options.taskId;
  }
}

/** A message or payload is larger than a hard limit and cannot be sent or stored. */
export class PayloadTooLargeError extends CeleriacError {
  override readonly name = 'PayloadTooLargeError';
  readonly sizeBytes: number;
  readonly limitBytes: number;
  /** What was too large, e.g. `task message for tasks.add`. */
  readonly subject: string;

  constructor(
    subject: string,
    sizeBytes: number,
    limitBytes: number,
    hint: string,
    options: CeleriacErrorOptions = {},
  ) {
    super(`The ${subject} is ${sizeBytes} bytes, over the limit of ${limitBytes} bytes. ${hint}`, options);
    this.subject = subject;
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}
