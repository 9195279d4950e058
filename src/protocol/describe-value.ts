/**
 * A short, safe rendering of any decoded value for an error message: JSON where JSON can say it, with bigints
 * as `123n` (msgpack and YAML decode them) and never a throw.
 */

/**
 * Renders `value` for an error message, cut to `maxChars`.
 *
 * @example
 * describeDecoded([1n, 'a']) // '["1n","a"]'
 */
export function describeDecoded(value: unknown, maxChars = 200): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? `${item}n` : item));
  } catch {
    text = undefined;
  }
  return (text ?? String(value)).slice(0, maxChars);
}
