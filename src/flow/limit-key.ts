/**
 * Where a call's limit key comes from (`rateLimitKey`): a message header (settable from Python Celery with
 * `apply_async(headers={...})`), a keyword argument, or a function of the positional arguments.
 */
import { InvalidOptionError } from '../errors.js';

/** A task's `rateLimitKey`. */
export type RateLimitKey =
  | { readonly header: string }
  | { readonly kwarg: string }
  | ((...args: never[]) => unknown);

/** What a key is read from. */
export interface KeySource {
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, unknown>>;
}

/** Longest key kept as written; longer keys are hashed (an item key holds at most 2,048 bytes). */
const MAX_KEY_LENGTH = 200;

/** How a key is named in messages. */
export function describeKey(key: RateLimitKey): string {
  if (typeof key === 'function') return `the key function ${key.name || '(anonymous)'}`;
  return 'header' in key
    ? `header ${JSON.stringify(key.header)}`
    : `keyword argument ${JSON.stringify(key.kwarg)}`;
}

/**
 * The key of one call, or undefined when the call has none (a missing header or keyword argument, a function
 * that returned nothing or threw).
 */
export function limitKeyOf(key: RateLimitKey, source: KeySource): string | undefined {
  let value: unknown;
  if (typeof key === 'function') {
    try {
      value = (key as (...args: unknown[]) => unknown)(...source.args);
    } catch {
      return undefined;
    }
  } else if ('header' in key) {
    value = source.headers[key.header];
  } else {
    value = source.kwargs[key.kwarg];
  }
  if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** A key as it appears in a bucket name: as written when short and printable, else its SHA-256. */
export async function bucketKey(key: string): Promise<string> {
  if (key.length <= MAX_KEY_LENGTH && /^[\x21-\x7e]*$/.test(key)) return key;
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
  return `sha256:${Buffer.from(digest).toString('hex')}`;
}

/** Checks a `rateLimitKey` option at registration. */
export function validateRateLimitKey(option: string, key: unknown): void {
  if (typeof key === 'function') return;
  const shaped = key as { header?: unknown; kwarg?: unknown } | null;
  const name = shaped?.header ?? shaped?.kwarg;
  if (typeof shaped !== 'object' || shaped === null || typeof name !== 'string' || name.length === 0) {
    throw InvalidOptionError.expected(
      option,
      "{ header: '<name>' }, { kwarg: '<name>' } or a function of the task's arguments returning a string",
      key,
    );
  }
}
