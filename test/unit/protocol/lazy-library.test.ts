/**
 * Libraries loaded on first use: `load()` imports once, `get()` returns what a load brought or requires the
 * package, and says what to call instead when it can do neither.
 */
import { describe, expect, it, vi } from 'vitest';
import { commonJsExports, LazyLibrary, LibraryNotLoaded } from '../../../src/protocol/lazy-library.js';
import { bzip2Library, xzLibrary, yamlLibrary } from '../../../src/protocol/optional-libraries.js';
import { yamlDumps, yamlLoads } from '../../../src/protocol/yaml-body.js';

describe('LazyLibrary', () => {
  it('imports once, however many callers load it, and get() then returns the loaded module', async () => {
    const module = { name: 'loaded' };
    const importer = vi.fn(async () => module);
    const library = new LazyLibrary('no-such-package-celeriac', importer, 'loadIt()');
    const [first, second] = await Promise.all([library.load(), library.load()]);
    expect(first).toBe(module);
    expect(second).toBe(module);
    expect(importer).toHaveBeenCalledTimes(1);
    expect(library.get()).toBe(module);
  });

  it('says it is loaded once a load or a synchronous require brought the module, and not before', async () => {
    const library = new LazyLibrary('no-such-package-celeriac', async () => ({ name: 'loaded' }), 'loadIt()');
    expect(library.loaded).toBe(false);
    const loading = library.load();
    expect(library.loaded).toBe(false);
    await loading;
    expect(library.loaded).toBe(true);

    const required = new LazyLibrary('yaml', async () => ({}), 'loadIt()');
    expect(required.loaded).toBe(false);
    required.get();
    expect(required.loaded).toBe(true);
  });

  it('requires the package synchronously when nothing loaded it yet', () => {
    const importer = vi.fn(async () => ({ parseDocument: undefined }));
    const library = new LazyLibrary<{ parseDocument: unknown }>('yaml', importer, 'loadIt()');
    expect(typeof library.get().parseDocument).toBe('function');
    expect(importer).not.toHaveBeenCalled();
  });

  it('names the package and the asynchronous alternative when it can neither use a load nor require', () => {
    const library = new LazyLibrary('no-such-package-celeriac', async () => ({}), 'decodeTaskMessageAsync');
    expect(() => library.get()).toThrow(
      /The no-such-package-celeriac library is not loaded and cannot be required here .*use decodeTaskMessageAsync/,
    );
    let thrown: unknown;
    try {
      library.get();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LibraryNotLoaded);
    expect(thrown).toMatchObject({ name: 'LibraryNotLoaded', packageName: 'no-such-package-celeriac' });
    expect((thrown as Error).cause).toBeInstanceOf(Error);
    expect(library.loaded).toBe(false);
  });
});

describe('the optional codecs’ libraries', () => {
  it('unwrap a CommonJS package from its namespace, whether Node or a bundle gave it', () => {
    const exports = { parse: () => 1 };
    expect(commonJsExports({ default: exports, parse: exports.parse })).toBe(exports);
    expect(commonJsExports({ default: exports })).toBe(exports);
    expect(commonJsExports(exports)).toBe(exports);
  });

  it('load the real yaml, seek-bzip and xz-decompress modules', async () => {
    expect(typeof (await yamlLibrary.load()).parseDocument).toBe('function');
    expect(typeof (await bzip2Library.load()).decode).toBe('function');
    expect(typeof (await xzLibrary.load()).XzReadableStream).toBe('function');
    expect(yamlLibrary.get()).toBe(await yamlLibrary.load());
  });
});

describe('a YAML body when the yaml library cannot load (a bundle that only holds it as a chunk)', () => {
  const notLoaded = () =>
    vi.spyOn(yamlLibrary, 'get').mockImplementation(() => {
      throw new LibraryNotLoaded('The yaml library is not loaded', { packageName: 'yaml' });
    });

  it('reports the library, not malformed YAML, on decode and on encode', () => {
    const get = notLoaded();
    try {
      expect(() => yamlLoads('a: 1\n')).toThrow(LibraryNotLoaded);
      expect(() => yamlDumps({ a: 1 })).toThrow(LibraryNotLoaded);
    } finally {
      get.mockRestore();
    }
    expect(yamlLoads('a: 1\n')).toEqual({ a: 1 });
  });
});
