/**
 * Where `npm run test:local` keeps its stack's state (`celeriac local deploy --state-dir`): apart from
 * `.celeriac/local`, the state of a stack you deploy yourself, which the tests' emulator must not overwrite.
 */
import path from 'node:path';

export const TEST_STATE_DIR = path.join({{dirname}}, '..', '.celeriac', 'test');
