#!/usr/bin/env bash
# Runs every fuzz target for SECS seconds each (default 20), one after the other.
# CI runs this as the fuzz smoke; long runs use the same script with a larger SECS
# (see fuzz/README.md). Needs the nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo install --locked cargo-fuzz
#
# Usage: fuzz/smoke.sh [SECS] [TARGET…]
# New inputs go to fuzz/work/TARGET (not committed); the committed seeds in
# fuzz/corpus/TARGET are read. A crash leaves its input in fuzz/artifacts/TARGET and
# makes the script fail.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-20}
shift || true
case $secs in '' | *[!0-9]*) echo "smoke.sh: SECS must be a number, got '$secs'" >&2; exit 2 ;; esac
command -v cargo-fuzz >/dev/null 2>&1 || {
  echo "smoke.sh: cargo-fuzz is missing: cargo install --locked cargo-fuzz" >&2
  exit 1
}
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list); fi
cargo +nightly fuzz build
# The binaries are run directly: `cargo fuzz run` would rebuild whenever a source file
# changed meanwhile, in the middle of a series of runs.
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
for t in "${targets[@]}"; do
  mkdir -p "work/$t" "artifacts/$t"
  echo "== $t: ${secs}s"
  log="work/$t.log"
  status=0
  "target/$triple/release/$t" -artifact_prefix="artifacts/$t/" -max_total_time="$secs" \
    -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 "work/$t" "corpus/$t" >"$log" 2>&1 ||
    status=$?
  # libFuzzer's progress lines stay in the log; show the summary and any failure.
  grep -E '^(#[0-9]+[[:space:]]+DONE|stat::)|panicked|ERROR|SUMMARY|deadly|Test unit written' "$log" || true
  if [ "$status" != 0 ]; then
    tail -n 40 "$log" >&2
    echo "smoke.sh: $t failed (exit $status); input in fuzz/artifacts/$t, log in fuzz/$log" >&2
    exit 1
  fi
done
echo "smoke.sh: all ${#targets[@]} targets ran ${secs}s without a crash"
