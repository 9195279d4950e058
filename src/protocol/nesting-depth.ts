/**
 * Refusing values nested deeper than {@link MAX_NESTING_DEPTH}: a linear check of JSON text before it is parsed,
 * and the errors the readers and writers throw.
 */
import { DecodeError, EncodeError } from './errors.js';
import { MAX_NESTING_DEPTH } from './limits.js';

/**
 * True when the brackets of JSON `text`, outside strings, nest deeper than `limit`. One pass, no recursion, so
 * it is safe on any input; for text that is not JSON the answer is a guess, and the parser refuses it anyway.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  // Nesting deeper than `limit` takes more than `limit` opening brackets.
  if (text.length <= limit) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const inner = text.charCodeAt(i);
        if (inner === 0x5c /* \ */) i++;
        else if (inner === 0x22) break;
      }
    } else if (code === 0x5b /* [ */ || code === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (code === 0x5d /* ] */ || code === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}

/** The error for JSON nested deeper than {@link MAX_NESTING_DEPTH}, read as `layer`. */
export function tooDeepToDecode(layer: string): DecodeError {
  return DecodeError.at(
    layer,
    `the data nests arrays and objects more than ${MAX_NESTING_DEPTH} levels deep, which neither celeriac ` +
      "nor Python's json reads; the producer must send flatter data",
  );
}

/** The error for a value nested deeper than {@link MAX_NESTING_DEPTH}, found at `path` while writing it. */
export function tooDeepToEncode(path: string): EncodeError {
  return EncodeError.at(
    path,
    `the value nests arrays and objects more than ${MAX_NESTING_DEPTH} levels deep, which Python's json ` +
      'cannot read either; flatten it, or send a reference to the data instead',
  );
}
