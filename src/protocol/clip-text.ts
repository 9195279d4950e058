/** Cutting display text to a bound, saying how much was left out. */

/** `text` cut to `max` UTF-16 units (never inside a surrogate pair), saying how much was left out. */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}... (${text.length - end} more characters)`;
}
