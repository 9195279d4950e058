import { describe, expect, it } from 'vitest';
import { InvalidTaskError } from '../../../src/protocol/errors.js';
import { checkNestedSignatures } from '../../../src/protocol/nested-signatures.js';
import { type SignatureDict, signatureDict } from '../../../src/protocol/signature.js';

const sig = (task: string, extra: Partial<SignatureDict> = {}): SignatureDict => ({
  ...signatureDict(task),
  ...extra,
});
const group = (tasks: unknown): SignatureDict =>
  sig('celery.group', { subtask_type: 'group', kwargs: { tasks } });

/** The error `checkNestedSignatures` throws for `signature`, or undefined. */
function refusal(signature: SignatureDict): InvalidTaskError | undefined {
  try {
    checkNestedSignatures(signature, 'callbacks[0]', 'task-1');
    return undefined;
  } catch (error) {
    if (error instanceof InvalidTaskError) return error;
    throw error;
  }
}

describe('checkNestedSignatures', () => {
  it('accepts the shapes Celery and celeriac send', () => {
    const chord = sig('celery.chord', {
      subtask_type: 'chord',
      kwargs: { kwargs: {}, header: [sig('tasks.a'), sig('tasks.b')], body: sig('tasks.sum') },
    });
    const nested = sig('tasks.first', {
      options: {
        link: [sig('tasks.cb', { options: { link_error: sig('tasks.eb') } })],
        link_error: [],
        chain: [chord, group([sig('tasks.c')])],
      },
    });
    expect(refusal(nested)).toBeUndefined();
    // celeriac sends a chord's header as a group, and a chord may have no body yet.
    expect(
      refusal(sig('celery.chord', { subtask_type: 'chord', kwargs: { header: group([sig('tasks.a')]) } })),
    ).toBeUndefined();
  });

  it.each([
    [
      'a null link',
      sig('tasks.add', { options: { link: [null] } }),
      '`callbacks[0].options.link[0]` is not a signature (it has no `task`)',
    ],
    [
      'a link_error without a task, deep in a link',
      sig('tasks.add', { options: { link: [sig('tasks.cb', { options: { link_error: [{ args: [] }] } })] } }),
      '`callbacks[0].options.link[0].options.link_error[0]` is not a signature (it has no `task`)',
    ],
    [
      'a chain option that is not a list',
      sig('tasks.add', { options: { chain: 'tasks.next' } }),
      '`callbacks[0].options.chain` must be a list of signatures',
    ],
    [
      "a group's tasks that are not a list",
      group('x'),
      "`callbacks[0].kwargs.tasks` must be the list of the group's signatures",
    ],
    [
      'a chord without a header',
      sig('celery.chord', { subtask_type: 'chord', kwargs: { body: sig('tasks.sum') } }),
      '`callbacks[0].kwargs.header` is not a signature (it has no `task`)',
    ],
    [
      "a chord whose body's errback is null",
      sig('celery.chord', {
        subtask_type: 'chord',
        kwargs: { header: [sig('tasks.a')], body: sig('tasks.sum', { options: { link_error: [null] } }) },
      }),
      '`callbacks[0].kwargs.body.options.link_error[0]` is not a signature (it has no `task`)',
    ],
  ])('refuses %s, naming where it is', (_, signature, message) => {
    const error = refusal(signature);
    expect(error?.message).toBe(message);
    expect(error?.taskId).toBe('task-1');
  });
});
