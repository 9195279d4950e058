import { describe, expect, it } from 'vitest';
import { InvalidTaskError } from '../../../src/protocol/errors.js';
import { readSignature } from '../../../src/protocol/nested-signatures.js';
import { type SignatureDict, signatureDict } from '../../../src/protocol/signature.js';

const sig = (task: string, extra: Partial<SignatureDict> = {}): SignatureDict => ({
  ...signatureDict(task),
  ...extra,
});
const group = (tasks: unknown): SignatureDict =>
  sig('celery.group', { subtask_type: 'group', kwargs: { tasks } });

/** The error `readSignature` throws for `signature`, or undefined. */
function refusal(signature: unknown): InvalidTaskError | undefined {
  try {
    readSignature(signature, 'callbacks[0]', 'task-1');
    return undefined;
  } catch (error) {
    if (error instanceof InvalidTaskError) return error;
    throw error;
  }
}

describe('readSignature', () => {
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
    [
      'a callback whose args is a number',
      sig('tasks.add', { args: 5 as unknown as unknown[] }),
      '`callbacks[0].args` is 5, not a list of arguments',
    ],
    [
      'a chain member whose args is a string',
      sig('celery.chain', {
        subtask_type: 'chain',
        kwargs: { tasks: [sig('tasks.a', { args: 'ab' as never })] },
      }),
      '`callbacks[0].kwargs.tasks[0].args` is "ab", not a list of arguments',
    ],
    [
      "a group member's kwargs that are a list",
      group([sig('tasks.a', { kwargs: [1] as never })]),
      '`callbacks[0].kwargs.tasks[0].kwargs` is [1], not a mapping',
    ],
    [
      "a chord body's options that are a string",
      sig('celery.chord', {
        subtask_type: 'chord',
        kwargs: { header: [sig('tasks.a')], body: sig('tasks.sum', { options: 'fast' as never }) },
      }),
      '`callbacks[0].kwargs.body.options` is "fast", not a mapping',
    ],
  ])('refuses %s, naming where it is', (_, signature, message) => {
    const error = refusal(signature);
    expect(error?.message).toBe(message);
    expect(error?.taskId).toBe('task-1');
  });
});

describe('readSignature reads a signature as Celery reads one', () => {
  it('takes null or absent args, kwargs and options as empty, at every depth', () => {
    const read = readSignature(
      {
        task: 'celery.chord',
        subtask_type: 'chord',
        kwargs: { header: [{ task: 'tasks.a', args: null }], body: { task: 'tasks.sum', options: null } },
        options: null,
      },
      'chord',
      'task-1',
    );
    expect(read.options).toEqual({});
    expect(read.kwargs.header).toEqual([signatureDict('tasks.a')]);
    expect(read.kwargs.body).toEqual(signatureDict('tasks.sum'));
  });

  it('takes a single signature in link or link_error as a list of one', () => {
    const read = readSignature(
      sig('celery.chain', {
        subtask_type: 'chain',
        kwargs: { tasks: [sig('tasks.a')] },
        options: { link: { task: 'tasks.cb' }, link_error: { task: 'tasks.eb', immutable: true } },
      }),
      'callbacks[0]',
      'task-1',
    );
    expect(read.options.link).toEqual([signatureDict('tasks.cb')]);
    expect(read.options.link_error).toEqual([{ ...signatureDict('tasks.eb'), immutable: true }]);
  });

  it('keeps the fields and options it does not know, in Celery key order', () => {
    const read = readSignature(
      { extra: 1, task: 'tasks.a', options: { queue: 'q', custom: true }, chord_size: 2 },
      'callbacks[0]',
      'task-1',
    );
    expect(Object.keys(read)).toEqual([
      'task',
      'args',
      'kwargs',
      'options',
      'subtask_type',
      'immutable',
      'extra',
      'chord_size',
    ]);
    expect(read.options).toEqual({ queue: 'q', custom: true });
  });
});
