import { CeleriacError } from '../errors.js';

/** A command line the CLI cannot run; the message says what to type instead. */
export class UsageError extends CeleriacError {
  override readonly name = 'UsageError';
}
