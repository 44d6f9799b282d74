#!/usr/bin/env bash
# Runs every berth test against a real Docker engine, provisioning one first
# (tests/engine/provision.sh: reuses a daemon that answers, else installs and starts one
# as root). Tests fail loudly — never skip — when no daemon answers.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/engine/tools.sh        # C toolchain, valgrind, Go, wasm32-wasip2, componentize-py
tests/engine/provision.sh
# Tests share one daemon; the real-daemon suites run their cases in parallel safely
# (everything they create is uniquely named and labelled berth.test=1).
cargo test --workspace --all-targets "$@"
cargo test --workspace --doc
