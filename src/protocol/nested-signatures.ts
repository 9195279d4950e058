/**
 * The signatures nested in a message's follow-ups, checked before the task runs: a callback's own `link` and
 * `link_error`, the rest of a chain in `options.chain`, the members of a chain or group (`kwargs.tasks`), a chord's
 * `kwargs.header` and `kwargs.body`. A malformed one would otherwise surface only after the task had run, as a
 * TypeError that names neither what was wrong nor where. The depth is bounded by the decoder's nesting limit
 * (`MAX_NESTING_DEPTH`), so the walk is too.
 */
import { InvalidTaskError } from './errors.js';
import { isFields } from './is-fields.js';
import { isSignatureDict, type SignatureDict } from './signature.js';

/**
 * Throws {@link InvalidTaskError} naming the first malformed signature nested in `signature`, by its path from
 * the message (`callbacks[0].options.link[1]`).
 *
 * @example
 * checkNestedSignatures(callback, 'callbacks[0]', taskId);
 */
export function checkNestedSignatures(signature: SignatureDict, path: string, taskId: string): void {
  const refuse = (at: string, what: string): never => {
    throw new InvalidTaskError(`\`${at}\` ${what}`, { taskId });
  };
  const one = (value: unknown, at: string): void => {
    if (!isSignatureDict(value)) refuse(at, 'is not a signature (it has no `task`)');
    checkNestedSignatures(value as SignatureDict, at, taskId);
  };
  /** A signature or a list of them (Celery takes either for `link` and `link_error`); absent is fine. */
  const each = (list: readonly unknown[], at: string): void => {
    for (const [i, item] of list.entries()) one(item, `${at}[${i}]`);
  };
  const some = (value: unknown, at: string): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) each(value, at);
    else one(value, at);
  };
  const options = isFields(signature.options) ? signature.options : {};
  some(options.link, `${path}.options.link`);
  some(options.link_error, `${path}.options.link_error`);
  if (options.chain !== undefined && options.chain !== null) {
    if (!Array.isArray(options.chain)) refuse(`${path}.options.chain`, 'must be a list of signatures');
    each(options.chain as unknown[], `${path}.options.chain`);
  }
  const kwargs = isFields(signature.kwargs) ? signature.kwargs : {};
  switch (signature.subtask_type) {
    case 'chain':
    case 'group':
      if (!Array.isArray(kwargs.tasks)) {
        refuse(`${path}.kwargs.tasks`, `must be the list of the ${signature.subtask_type}'s signatures`);
      }
      each(kwargs.tasks as unknown[], `${path}.kwargs.tasks`);
      break;
    case 'chord':
      // Celery sends the header as a list of signatures, celeriac as a group.
      if (Array.isArray(kwargs.header)) each(kwargs.header, `${path}.kwargs.header`);
      else one(kwargs.header, `${path}.kwargs.header`);
      if (kwargs.body !== undefined && kwargs.body !== null) one(kwargs.body, `${path}.kwargs.body`);
      break;
  }
}
