#!/usr/bin/env bash
# npm run local: installs what a fresh clone is missing (Node dependencies, the Python venv with MiniStack),
# then runs the local stack with the demo (scripts/local/main.ts). `npm run local:stop` stops MiniStack.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ ! -d node_modules ]]; then
  echo "local: node_modules is missing; running npm ci" >&2
  npm ci
fi
bash scripts/python-env.sh

exec node --import tsx scripts/local/main.ts "$@"
