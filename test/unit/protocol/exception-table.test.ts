import { describe, expect, it } from 'vitest';
import { TaskError, TimeLimitExceeded, WorkerLostError } from '../../../src/errors.js';
import { ErrorTable, toExceptionInfo } from '../../../src/exception-table.js';
import type { ExceptionInfo } from '../../../src/protocol/exception-info.js';

const OBJECT_MEMBER_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

describe('ErrorTable.toError', () => {
  it.each(OBJECT_MEMBER_NAMES.flatMap((name) => [null, 'celery.app'].map((module) => [name, module])))(
    'rebuilds a remote exception named %s (module %s) as a TaskError, not a member of Object.prototype',
    (name, module) => {
      const info: ExceptionInfo = { exc_type: name as string, exc_message: ['boom'], exc_module: module };
      const error = new ErrorTable().toError(info, 't-1', null);
      expect(error).toBeInstanceOf(TaskError);
      expect((error as TaskError).excType).toBe(name);
      expect(error.message).toBe(`${name}: boom`);
    },
  );

  it('still rebuilds Celery exceptions from Celery and billiard modules', () => {
    const info = { exc_type: 'TimeLimitExceeded', exc_message: [30], exc_module: 'billiard.exceptions' };
    expect(new ErrorTable().toError(info, 't-1', null)).toBeInstanceOf(TimeLimitExceeded);
  });

  it('treats a module that is not a string as unknown', () => {
    const info = { exc_type: 'TimeLimitExceeded', exc_message: [30] } as unknown as ExceptionInfo;
    expect(new ErrorTable().toError(info, 't-1', null)).toBeInstanceOf(TimeLimitExceeded);
    const odd = { exc_type: 'Odd', exc_message: ['x'], exc_module: 5 } as unknown as ExceptionInfo;
    expect((new ErrorTable().toError(odd, 't-1', null) as TaskError).excModule).toBeNull();
  });
});

describe('toExceptionInfo', () => {
  it.each(OBJECT_MEMBER_NAMES)('writes a string module for an error named %s', (name) => {
    const error = new Error('boom');
    error.name = name;
    expect(toExceptionInfo(error)).toEqual({ exc_type: name, exc_message: ['boom'], exc_module: 'celeriac' });
  });
});

describe('a lost worker', () => {
  it('rebuilds WorkerLostError, as Celery stores it, with how the worker ended', () => {
    const error = new ErrorTable().toError(
      {
        exc_type: 'WorkerLostError',
        exc_message: ['Worker exited prematurely: exitcode 1.'],
        exc_module: 'billiard.exceptions',
      },
      't-1',
      null,
    );
    expect(error).toBeInstanceOf(WorkerLostError);
    expect(error).toMatchObject({ exit: 'exitcode 1', message: 'Worker exited prematurely: exitcode 1.' });
  });
});
