/**
 * Writing keys that came from data into objects without letting a key named `__proto__` replace the object's
 * prototype.
 */

/**
 * Sets `key` on `target` as an own, enumerable data property. Plain assignment would run `Object.prototype`'s
 * `__proto__` setter for a key named `__proto__` and replace the object's prototype instead; this keeps it an
 * ordinary key, as `JSON.parse` and object spread do.
 *
 * @example
 * const out: Record<string, unknown> = {};
 * setOwn(out, '__proto__', { isAdmin: true });
 * Object.hasOwn(out, '__proto__'); // true, and Object.getPrototypeOf(out) is still Object.prototype
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
