#!/usr/bin/env bash
# berth's main job: build berth and show what the local Docker engine reports.
# If no daemon answers and this is root, the test engine is provisioned first;
# otherwise this says exactly what to do.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p berth-host --bin berth
berth=target/release/berth
if ! "$berth" version >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && [ -z "${DOCKER_HOST:-}" ]; then
    echo "main: no Docker daemon answers; provisioning one (tests/engine/provision.sh)" >&2
    tests/engine/provision.sh
  else
    "$berth" version >/dev/null || true
    echo "main: no Docker daemon answers. Start dockerd (as root: tests/engine/provision.sh)," >&2
    echo "      or set DOCKER_HOST to a daemon you can reach, then run this again." >&2
    exit 1
  fi
fi
"$berth" info
echo
# Run a container the way docker-py's containers.run does (removed afterwards).
image=${BERTH_MAIN_IMAGE:-busybox:berth-test}
if ! "$berth" run --rm "$image" sh -c 'echo "hello from a container run by berth ($(uname -sr))"'; then
  echo "main: could not run $image; as root, tests/engine/provision.sh builds busybox:berth-test" >&2
  echo "      (or set BERTH_MAIN_IMAGE to an image this daemon has)." >&2
  exit 1
fi
