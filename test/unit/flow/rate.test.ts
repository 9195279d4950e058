import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { App } from '../../../src/app.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { parseRate, RATE_FORMS } from '../../../src/flow/rate.js';
import { createMemoryTransport } from '../../../src/memory/index.js';

describe('parseRate (Celery rate_limit syntax)', () => {
  it.each([
    ['10/s', 10],
    ['100/m', 100 / 60],
    ['1000/h', 1000 / 3600],
    ['0.5/s', 0.5],
    ['7', 7],
    [12, 12],
    ['0', 0],
  ])('reads %j as %d per second', (text, perSecond) => {
    expect(parseRate(text, 'r').perSecond).toBeCloseTo(perSecond, 12);
  });

  it.each(['10/x', '-1/s', 'ten/s', '/s', '10/', '1e3/s', '', -1, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses %j, listing the accepted forms',
    (value) => {
      const error = (() => {
        try {
          parseRate(value as string, 'tasks.add: rateLimit');
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toContain('tasks.add: rateLimit');
      expect((error as Error).message).toContain(RATE_FORMS);
    },
  );

  it('agrees with n/unit for every whole n and unit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(['s', 1], ['m', 60], ['h', 3600]),
        (n, [unit, seconds]) => {
          expect(parseRate(`${n}/${unit}`, 'r').perSecond).toBeCloseTo(n / (seconds as number), 9);
        },
      ),
    );
  });
});

describe('flow-control options at registration', () => {
  const app = () => new App(resolveConfig({ env: {} }), createMemoryTransport(), { origin: 'gen@test' });

  it('refuses an unparseable rate when the task is registered', () => {
    expect(() => app().task('tasks.a', () => 1, { rateLimit: '10/x' })).toThrow(
      /tasks\.a: rateLimit.*'<n>\/s', '<n>\/m' or '<n>\/h'/,
    );
    expect(() =>
      app().task('tasks.b', () => 1, { keyRateLimit: '-1/s', rateLimitKey: { header: 't' } }),
    ).toThrow(/tasks\.b: keyRateLimit/);
  });

  it('refuses per-key limits without a key, and a key of the wrong shape', () => {
    expect(() => app().task('tasks.c', () => 1, { keyConcurrency: 2 })).toThrow(/tasks\.c: rateLimitKey/);
    expect(() => app().task('tasks.d', () => 1, { rateLimitKey: { header: '' } })).toThrow(
      /tasks\.d: rateLimitKey/,
    );
    expect(() =>
      app().task('tasks.e', () => 1, { rateLimitKey: { header: 't' }, keyConcurrency: 0 }),
    ).toThrow(/tasks\.e: keyConcurrency.*integer >= 1/);
  });

  it('refuses an unparseable app default', () => {
    expect(() => resolveConfig({ env: {}, defaultRateLimit: '5/d' })).toThrow(/defaultRateLimit/);
    expect(() => resolveConfig({ env: {}, rateLimitScope: 'cluster' as 'fleet' })).toThrow(
      /'fleet' or 'worker'/,
    );
  });
});
