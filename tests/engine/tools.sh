#!/usr/bin/env bash
# Installs, when missing, the tools the tests build with besides cargo: the C toolchain,
# valgrind and Go for the C ABI programs (capi/tests), the wasm32-wasip2 target for the
# plugin guests, and componentize-py (pinned) for the Python example plugin.
# Called by scripts/test.sh and .ci/run; idempotent. Installing needs root.
set -euo pipefail
missing=()
for tool in gcc g++ valgrind go nm; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "tools: missing ${missing[*]}; as root: apt-get install gcc g++ valgrind golang-go binutils" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc g++ valgrind golang-go binutils >/dev/null
fi
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
if ! command -v componentize-py >/dev/null 2>&1 || ! componentize-py --version | grep -q ' 0\.25\.1$'; then
  python3 -m pip install --quiet componentize-py==0.25.1
fi
