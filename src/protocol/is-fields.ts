/** The one test for "a JSON object" that decoded messages, Lambda events and stored records share. */

/**
 * Whether `value` is an object that is neither `null` nor an array: what JSON calls an object, read by field.
 *
 * @example
 * isFields({ a: 1 }) // true
 * isFields([1]) // false
 */
export const isFields = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
