#!/usr/bin/env bash
# Creates (or refreshes) the project-local Python venv in .venv with the pinned versions from
# python/requirements.txt: moto server for tests, Python Celery for golden vectors and interop, MiniStack for the
# local stack. Idempotent: a stamp holding the lock file's hash skips the work when nothing changed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${CELERIAC_VENV:-$root/.venv}"
lock="$root/python/requirements.txt"
python="${PYTHON:-python3}"
stamp="$venv/.celeriac-requirements.sha256"
want="$(sha256sum "$lock" | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/python" ]]; then
  exit 0
fi

if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  echo "python-env: need Python >= 3.10 as '$python' (set PYTHON=/path/to/python3)" >&2
  exit 1
fi

count="$(grep -cE '^[A-Za-z0-9]' "$lock" || true)"
echo "python-env: creating $venv with the $count pinned packages of python/requirements.txt (moto, Celery, MiniStack); about a minute the first time" >&2
"$python" -m venv "$venv"
# One line per package, so a first run shows it is working.
"$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off --requirement "$lock" |
  { grep --line-buffered -E '^(Collecting|Successfully installed)' || true; } | sed -u 's/^/python-env: /' >&2
"$venv/bin/python" -m pip check >&2
echo "$want" > "$stamp"
