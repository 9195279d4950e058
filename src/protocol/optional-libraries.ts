/**
 * The optional codecs' libraries, each loaded on first use (see `lazy-library.ts`): `yaml` for the YAML
 * serializer, `seek-bzip` for bzip2 bodies, `xz-decompress` for xz bodies.
 */
import type * as Yaml from 'yaml';
import { commonJsExports, LazyLibrary } from './lazy-library.js';

type BzipModule = typeof import('seek-bzip')['default'];
type XzModule = Pick<typeof import('xz-decompress'), 'XzReadableStream'>;

/** `yaml`, the YAML 1.1 parser and writer behind kombu's YAML serializer. */
export const yamlLibrary = new LazyLibrary<typeof Yaml>(
  'yaml',
  () => import('yaml').then((module) => commonJsExports<typeof Yaml>(module)),
  'decodeTaskMessageAsync (as the worker does) or the producer’s send',
);

/** `seek-bzip`'s decoder. */
export const bzip2Library = new LazyLibrary<BzipModule>(
  'seek-bzip',
  () => import('seek-bzip').then((module) => commonJsExports<BzipModule>(module)),
  'decodeTaskMessageAsync (as the worker does)',
);

/** `xz-decompress`, xz-embedded in WebAssembly; only the asynchronous decode reads xz. */
export const xzLibrary = new LazyLibrary<XzModule>(
  'xz-decompress',
  () => import('xz-decompress').then((module) => commonJsExports<XzModule>(module)),
  'decodeTaskMessageAsync (as the worker does)',
);
