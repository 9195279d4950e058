/**
 * The signatures a message's follow-ups carry, read before the task runs: the callbacks and errbacks, the rest of
 * a chain, the chord body, and every signature nested in those (a callback's own `link` and `link_error`, the
 * rest of a chain in `options.chain`, the members of a chain or group in `kwargs.tasks`, a chord's `kwargs.header`
 * and `kwargs.body`). A malformed one would otherwise surface only after the task had run, as a TypeError that
 * names neither what was wrong nor where, with the follow-up lost. The depth is bounded by the decoder's nesting
 * limit (`MAX_NESTING_DEPTH`), so the walk is too.
 *
 * Each is read as Celery's `Signature.from_dict` reads it: `null` or absent `args`, `kwargs` and `options` are
 * empty, a single signature in `link` or `link_error` is a list of one. Anything else of the wrong type is
 * refused, by its path from the message (`callbacks[0].options.link[1].args`).
 */
import { describeDecoded } from './describe-value.js';
import { InvalidTaskError } from './errors.js';
import { isFields } from './is-fields.js';
import { isSignatureDict, type SignatureDict, type SignatureOptions } from './signature.js';

/**
 * `value` as a signature whose nested signatures are all read the same way, keys in Celery's order.
 *
 * @throws {InvalidTaskError} naming the first field of the wrong type, by its path from the message.
 * @example
 * readSignature({ task: 'tasks.add', args: [1], options: { link: { task: 'tasks.log' } } }, 'callbacks[0]', id)
 * // { task: 'tasks.add', args: [1], kwargs: {}, options: { link: [{ task: 'tasks.log', ... }] }, ... }
 */
export function readSignature(value: unknown, path: string, taskId: string): SignatureDict {
  const refuse = (at: string, what: string): never => {
    throw new InvalidTaskError(`\`${at}\` ${what}`, { taskId });
  };
  const shown = (field: unknown): string => describeDecoded(field, 60);
  if (!isSignatureDict(value)) return refuse(path, 'is not a signature (it has no `task`)');
  const { task, args, kwargs, options, subtask_type, immutable, ...rest } = value;
  if (args != null && !Array.isArray(args))
    refuse(`${path}.args`, `is ${shown(args)}, not a list of arguments`);
  if (kwargs != null && !isFields(kwargs)) refuse(`${path}.kwargs`, `is ${shown(kwargs)}, not a mapping`);
  if (options != null && !isFields(options)) refuse(`${path}.options`, `is ${shown(options)}, not a mapping`);

  const list = (items: readonly unknown[], at: string): SignatureDict[] =>
    items.map((item, i) => readSignature(item, `${at}[${i}]`, taskId));
  /** A signature or a list of them (Celery takes either for `link` and `link_error`). */
  const some = (field: unknown, at: string): SignatureDict[] =>
    Array.isArray(field) ? list(field, at) : [readSignature(field, at, taskId)];

  const readOptions: SignatureOptions = { ...((options as SignatureOptions | null | undefined) ?? {}) };
  for (const key of ['link', 'link_error'] as const) {
    const field = readOptions[key];
    if (field != null) readOptions[key] = some(field, `${path}.options.${key}`);
  }
  if (readOptions.chain != null) {
    if (!Array.isArray(readOptions.chain)) refuse(`${path}.options.chain`, 'must be a list of signatures');
    readOptions.chain = list(readOptions.chain as unknown[], `${path}.options.chain`);
  }

  const readKwargs: Record<string, unknown> = {
    ...((kwargs as Record<string, unknown> | null | undefined) ?? {}),
  };
  switch (subtask_type) {
    case 'chain':
    case 'group':
      if (!Array.isArray(readKwargs.tasks)) {
        refuse(`${path}.kwargs.tasks`, `must be the list of the ${subtask_type}'s signatures`);
      }
      readKwargs.tasks = list(readKwargs.tasks as unknown[], `${path}.kwargs.tasks`);
      break;
    case 'chord':
      // Celery sends the header as a list of signatures, celeriac as a group.
      readKwargs.header = Array.isArray(readKwargs.header)
        ? list(readKwargs.header, `${path}.kwargs.header`)
        : readSignature(readKwargs.header, `${path}.kwargs.header`, taskId);
      if (readKwargs.body != null)
        readKwargs.body = readSignature(readKwargs.body, `${path}.kwargs.body`, taskId);
      break;
  }
  return {
    task,
    args: (args as unknown[] | null | undefined) ?? [],
    kwargs: readKwargs,
    options: readOptions,
    subtask_type: typeof subtask_type === 'string' ? subtask_type : null,
    immutable: immutable === true,
    ...rest,
  };
}
