/**
 * Libraries that only some apps need (YAML, bzip2, xz), loaded on first use. An app that only speaks JSON
 * never parses or runs them: in a Lambda bundle they sit in chunks of their own, which a cold start skips.
 *
 * - {@link LazyLibrary.load} imports the library with `import()`, which a bundler turns into a chunk; the
 *   asynchronous paths (the worker's decode, the producer's encode) call it before they need the library.
 * - {@link LazyLibrary.get} returns it synchronously: the module a load brought, or else the package required
 *   from `node_modules`, which works wherever celeriac runs unbundled.
 */
import { createRequire } from 'node:module';
import { CeleriacError, type CeleriacErrorOptions } from './errors.js';

const requireFromHere = createRequire(import.meta.url);

/**
 * A library that loads on first use was needed synchronously before it was loaded, where it cannot be required
 * (a bundle that holds it only as a chunk). The message names the asynchronous function that loads it first.
 */
export class LibraryNotLoaded extends CeleriacError {
  override readonly name = 'LibraryNotLoaded';
  /** The npm package that was needed, e.g. `yaml`. */
  readonly packageName: string;

  constructor(message: string, options: CeleriacErrorOptions & { readonly packageName: string }) {
    super(message, options);
    this.packageName = options.packageName;
  }
}

/** A library loaded on first use: asynchronously by `load()`, synchronously by `get()`. */
export class LazyLibrary<T> {
  readonly #packageName: string;
  readonly #importer: () => Promise<T>;
  readonly #asyncAlternative: string;
  #module: T | undefined;
  #loading: Promise<T> | undefined;

  /**
   * @param packageName the npm package, for the synchronous fallback and error messages.
   * @param importer a literal `() => import('<package>')` (mapped to the module's value), so bundlers see it.
   * @param asyncAlternative the asynchronous function a synchronous caller should use instead, for the error
   *   when the package cannot be required (a bundle that only holds it as a chunk).
   */
  constructor(packageName: string, importer: () => Promise<T>, asyncAlternative: string) {
    this.#packageName = packageName;
    this.#importer = importer;
    this.#asyncAlternative = asyncAlternative;
  }

  /** Whether the library is at hand synchronously, so `load()` need not be awaited. */
  get loaded(): boolean {
    return this.#module !== undefined;
  }

  /** Imports the library once; later calls return the same promise. */
  load(): Promise<T> {
    this.#loading ??= this.#importer().then((module) => {
      this.#module = module;
      return module;
    });
    return this.#loading;
  }

  /**
   * The library, synchronously.
   *
   * @throws {LibraryNotLoaded} when it was not loaded and cannot be required, naming the asynchronous function
   *   that loads it.
   */
  get(): T {
    if (this.#module !== undefined) return this.#module;
    try {
      this.#module = requireFromHere(this.#packageName) as T;
    } catch (error) {
      throw new LibraryNotLoaded(
        `The ${this.#packageName} library is not loaded and cannot be required here (a bundle holds it as a ` +
          `chunk that loads asynchronously): use ${this.#asyncAlternative}, which loads it first`,
        { packageName: this.#packageName, cause: error },
      );
    }
    return this.#module;
  }
}

/**
 * A CommonJS package's exports from its `import()` namespace: Node gives them as the namespace's `default` (and
 * some as named exports too); a bundle's chunk gives them as `default` only.
 */
export function commonJsExports<T>(namespace: unknown): T {
  const exports = (namespace as { readonly default?: unknown }).default;
  return (exports ?? namespace) as T;
}
