/**
 * Settings given in the environment as a JSON object of names to strings (`CELERIAC_QUEUE_URLS`,
 * `CELERIAC_SCHEDULER_ROLE_ARNS`), read into a record, refused with the variable's name when malformed.
 */
import { ImproperlyConfigured } from '../errors.js';

/** What a JSON-object variable holds, for its error messages. */
export interface JsonStringMapSetting {
  /** The environment variable: `CELERIAC_QUEUE_URLS`. */
  readonly variable: string;
  /** The option it fills, the error's `setting`: `queueUrls`. */
  readonly setting: string;
  /** What its keys name: `queue name`. */
  readonly keys: string;
  /** What its values are: `URL`. */
  readonly values: string;
}

/**
 * Reads `text`, a JSON object of names to strings; absent or empty is `{}`.
 *
 * @throws ImproperlyConfigured when `text` is not JSON, not an object, or holds a value that is not a string.
 * @example
 * parseJsonStringMap(env.CELERIAC_QUEUE_URLS, {
 *   variable: 'CELERIAC_QUEUE_URLS',
 *   setting: 'queueUrls',
 *   keys: 'queue name',
 *   values: 'URL',
 * }); // '{"celery":"https://…"}' → { celery: 'https://…' }
 */
export function parseJsonStringMap(
  text: string | undefined,
  { variable, setting, keys, values }: JsonStringMapSetting,
): Record<string, string> {
  if (!text) return {};
  const expected = `${variable} must be a JSON object of ${keys} to ${values}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ImproperlyConfigured(`${expected}, got ${JSON.stringify(text.slice(0, 60))}`, {
      setting,
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ImproperlyConfigured(`${expected}, got ${text.slice(0, 60)}`, { setting });
  }
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') {
      throw new ImproperlyConfigured(
        `${expected} strings, got ${JSON.stringify(value)} for ${JSON.stringify(name)}`,
        { setting },
      );
    }
  }
  return parsed as Record<string, string>;
}
