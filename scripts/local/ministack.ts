/**
 * Where this repository's `npm run local` finds things: the repository root, and the MiniStack that
 * `scripts/python-env.sh` installs into `.venv` (pinned by `python/requirements.txt`, the same version the
 * package's `ensureEmulator` installs into the user's cache). Everything else lives in `src/local/`.
 */
import path from 'node:path';

/** The repository root. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The MiniStack executable `scripts/python-env.sh` installs into the venv (`CELERIAC_VENV`, else `.venv`). */
export const MINISTACK_BIN = path.join(
  process.env.CELERIAC_VENV || path.join(REPO_ROOT, '.venv'),
  'bin',
  'ministack',
);
