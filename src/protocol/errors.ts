/**
 * The root of celeriac's error hierarchy and the errors the wire format raises.
 *
 * Every error celeriac throws extends {@link CeleriacError}, carries a literal `name`, readonly fields that say
 * what was wrong, and a message that says how to fix it. Names follow Celery and kombu where they have one
 * (`ContentDisallowed`, `DecodeError`, `InvalidTaskError`), so logs read the same on both sides.
 */

const BRAND = Symbol.for('celeriac.error');

/**
 * Options every celeriac error accepts: the underlying cause, if any. Each error's constructor takes
 * `(message, { cause, ...fields })`; where a message follows a fixed pattern, a static factory builds it
 * (`DecodeError.at(layer, detail)`).
 */
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
 * A message used a content type the receiver refuses: pickle always, and anything not in its accept list (JSON
 * only by default). Named after kombu's `ContentDisallowed`.
 */
export class ContentDisallowed extends CeleriacError {
  override readonly name = 'ContentDisallowed';
  readonly contentType: string;

  constructor(message: string, options: CeleriacErrorOptions & { readonly contentType: string }) {
    super(message, options);
    this.contentType = options.contentType;
  }

  /**
   * Refuses `contentType`, saying what this receiver accepts (`accepted`, content types; default JSON only) and
   * how to configure either side.
   */
  static forType(
    contentType: string,
    options: CeleriacErrorOptions & { readonly accepted?: readonly string[] } = {},
  ): ContentDisallowed {
    const accepted = options.accepted ?? ['application/json'];
    const pickle = contentType.trim().toLowerCase().startsWith('application/x-python-serialize');
    const reason = pickle
      ? 'pickle is never accepted (unpickling runs code on the receiver)'
      : `this receiver accepts ${accepted.join(', ')} (\`acceptContent\`, Celery's accept_content)`;
    return new ContentDisallowed(
      `Refusing content type ${JSON.stringify(contentType)}: ${reason}. Configure the producer with ` +
        "task_serializer='json' (or a serializer the receiver accepts).",
      { cause: options.cause, contentType },
    );
  }
}

/** Bytes that should hold a message could not be decoded (not base64, not UTF-8, not JSON, bad type tag). */
export class DecodeError extends CeleriacError {
  override readonly name = 'DecodeError';
  /** Which layer failed, e.g. `SQS MessageBody`, `envelope body`, `result meta`. */
  readonly layer: string;

  constructor(message: string, options: CeleriacErrorOptions & { readonly layer: string }) {
    super(message, options);
    this.layer = options.layer;
  }

  /** ``Cannot decode <layer>: <detail>``. */
  static at(layer: string, detail: string, options: CeleriacErrorOptions = {}): DecodeError {
    return new DecodeError(`Cannot decode ${layer}: ${detail}`, { ...options, layer });
  }
}

/** A value cannot be written as kombu JSON (a function, a symbol, a bigint, a circular structure, ...). */
export class EncodeError extends CeleriacError {
  override readonly name = 'EncodeError';
  /** Where in the value the problem is, as a path such as `args[1].when`. */
  readonly path: string;

  constructor(message: string, options: CeleriacErrorOptions & { readonly path: string }) {
    super(message, options);
    this.path = options.path;
  }

  /** ``Cannot encode <path> as JSON: <detail>``. */
  static at(path: string, detail: string, options: CeleriacErrorOptions = {}): EncodeError {
    return new EncodeError(`Cannot encode ${path} as JSON: ${detail}`, { ...options, path });
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

  constructor(message: string, options: CeleriacErrorOptions & { readonly taskId?: string } = {}) {
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
    message: string,
    options: CeleriacErrorOptions & {
      readonly subject: string;
      readonly sizeBytes: number;
      readonly limitBytes: number;
    },
  ) {
    super(message, options);
    this.subject = options.subject;
    this.sizeBytes = options.sizeBytes;
    this.limitBytes = options.limitBytes;
  }

  /** ``The <subject> is <size> bytes, over the limit of <limit> bytes. <hint>``. */
  static of(
    subject: string,
    sizeBytes: number,
    limitBytes: number,
    hint: string,
    options: CeleriacErrorOptions = {},
  ): PayloadTooLargeError {
    return new PayloadTooLargeError(
      `The ${subject} is ${sizeBytes} bytes, over the limit of ${limitBytes} bytes. ${hint}`,
      { ...options, subject, sizeBytes, limitBytes },
    );
  }
}
