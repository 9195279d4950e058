#!/usr/bin/env bash
# Installs what the browser tests drive: Debian's `chromium` (with apt-get, when it is missing) and prints its
# path. Idempotent: a machine that has it installs nothing. `playwright-core` itself is an exact-pinned
# devDependency, installed by `npm ci`; it downloads no browser of its own.
# CHROMIUM_PATH names another binary to use instead (then nothing is installed).
set -euo pipefail
if [[ -n "${CHROMIUM_PATH:-}" ]]; then
  if [[ ! -x "$CHROMIUM_PATH" ]]; then
    echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file: unset it or point it at a Chromium binary" >&2
    exit 1
  fi
  echo "$CHROMIUM_PATH"
  exit 0
fi
if [[ ! -x /usr/bin/chromium ]]; then
  if ! command -v apt-get >/dev/null; then
    echo "Chromium is missing and there is no apt-get here: install Chromium and set CHROMIUM_PATH to it" >&2
    exit 1
  fi
  SUDO=()
  if [[ "$(id -u)" != 0 ]]; then SUDO=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq >&2
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium >&2
fi
echo /usr/bin/chromium
