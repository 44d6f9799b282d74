#!/usr/bin/env bash
# Builds berth's wasm components: the engine component (berth-core as a component, for
# typed plugins) and the example plugins.
#
#   scripts/build-plugins.sh            # → target/guests/…
#
# Outputs (CARGO_TARGET_DIR defaults to target/guests, the directory the tests use):
#   $T/wasm32-wasip2/release/berth_engine.wasm   engine component (world `engine`)
#   $T/wasm32-wasip2/release/reaper.wasm         Rust example (world `raw-plugin`)
#   $T/python/python_job.wasm                    Python example (world `plugin`)
#
# Needs: rustup target wasm32-wasip2 (added if missing) and componentize-py 0.25.1
# (pip-installed if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/guests}"

if ! rustup target list --installed | grep -qx wasm32-wasip2; then
    rustup target add wasm32-wasip2
fi
cargo build --release --target wasm32-wasip2 -p berth-engine -p reaper

want=0.25.1
if ! command -v componentize-py >/dev/null || [ "$(componentize-py --version | awk '{print $2}')" != "$want" ]; then
    python3 -m pip install --quiet "componentize-py==$want"
fi
mkdir -p "$CARGO_TARGET_DIR/python"
componentize-py -d "$root/wit" -w plugin componentize -p "$root/examples/python-job" app \
    -o "$CARGO_TARGET_DIR/python/python_job.wasm"

echo "engine: $CARGO_TARGET_DIR/wasm32-wasip2/release/berth_engine.wasm"
echo "reaper: $CARGO_TARGET_DIR/wasm32-wasip2/release/reaper.wasm"
echo "python-job: $CARGO_TARGET_DIR/python/python_job.wasm"
