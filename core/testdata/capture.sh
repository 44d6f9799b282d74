#!/bin/sh
# Re-captures the raw HTTP exchanges in this directory from a live dockerd.
#
# Each *.http file holds the daemon's answer exactly as it came off the socket: status
# line, headers and the (chunked) body, untouched (`curl --raw -i`). The stream decoder
# tests in core/src/stream/tests.rs read them with include_bytes!, so after re-capturing
# check that the expected contents asserted there still match (timestamps, ids and
# header dates change; the payloads should not).
#
# Not run in CI. Needs: curl, tar, a daemon speaking Engine API 1.41 and the image
# $BERTH_TEST_IMAGE (default busybox:berth-test). Everything created is labelled
# berth.test=1 and removed again.
#
#   sh core/testdata/capture.sh
set -eu

SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
IMAGE=${BERTH_TEST_IMAGE:-busybox:berth-test}
BASE=http://localhost/v1.41
TAG="capture-$$"
cd "$(dirname "$0")"

CREATED=""
WORK=$(mktemp -d)
cleanup() {
    for id in $CREATED; do
        curl --unix-socket "$SOCK" -s -o /dev/null -X DELETE "$BASE/containers/$id?force=1" || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# Control calls: body only, fail on HTTP errors.
api() { curl --unix-socket "$SOCK" -sSf "$@"; }
# Captures: the wire bytes as sent (head + raw chunked body). `Expect:` stops curl from
# sending `Expect: 100-continue`, which would put a 100 response in front.
capture() {
    out=$1
    shift
    curl --unix-socket "$SOCK" --raw -s -i -H 'Expect:' "$@" >"$out"
    echo "captured $out ($(wc -c <"$out") bytes)"
}

# create_container TTY CMD... -> prints the new id (also left in $id); $EXTRA_LABELS,
# if set, is added to the labels (JSON members)
create_container() {
    tty=$1
    shift
    cmd=""
    for a in "$@"; do
        esc=$(printf '%s' "$a" | sed 's/\\/\\\\/g; s/"/\\"/g')
        cmd="$cmd${cmd:+,}\"$esc\""
    done
    body="{\"Image\":\"$IMAGE\",\"Cmd\":[$cmd],\"Tty\":$tty,\"Labels\":{\"berth.test\":\"1\",\"berth.capture\":\"$TAG\"${EXTRA_LABELS:+,$EXTRA_LABELS}}}"
    id=$(api -X POST -H 'Content-Type: application/json' -d "$body" "$BASE/containers/create" |
        sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p')
    [ -n "$id" ] || { echo "container create failed" >&2; exit 1; }
    CREATED="$CREATED $id"
    echo "$id"
}
run_to_exit() {
    api -X POST -o /dev/null "$BASE/containers/$1/start"
    api -X POST -o /dev/null "$BASE/containers/$1/wait"
}
remove_container() {
    api -X DELETE -o /dev/null "$BASE/containers/$1?force=1"
    CREATED=$(echo "$CREATED" | sed "s/ $1//")
}

# --- plain JSON answers --------------------------------------------------------------
capture ping.http http://localhost/_ping
capture version.http "$BASE/version"
capture info.http "$BASE/info"

# --- logs: stdout and stderr interleaved, one line > 64 KiB -------------------------
SCRIPT='echo out; echo err >&2; head -c 100000 /dev/zero | tr "\0" a; echo; echo done'

id=$(create_container false sh -c "$SCRIPT")
run_to_exit "$id"
capture logs-mux.http "$BASE/containers/$id/logs?stdout=1&stderr=1"
remove_container "$id"

id=$(create_container true sh -c "$SCRIPT")
run_to_exit "$id"
capture logs-tty.http "$BASE/containers/$id/logs?stdout=1&stderr=1"
remove_container "$id"

# --- events: replay of one container's life (create, start, die, destroy) -----------
# Its own label value, so the filter leaves out the containers above (`since` has
# one-second granularity) and anything else on the daemon.
TAG="$TAG-events"
t0=$(date +%s)
id=$(create_container false true)
run_to_exit "$id"
remove_container "$id"
t1=$(($(date +%s) + 1))
sleep 2 # `until` must be in the past so the daemon ends the stream after replay
filters=$(printf '{"label":["berth.capture=%s"]}' "$TAG" | sed 's/{/%7B/g; s/}/%7D/g; s/"/%22/g; s/\[/%5B/g; s/\]/%5D/g; s/:/%3A/g; s/=/%3D/g')
capture events.http "$BASE/events?since=$t0&until=$t1&filters=$filters"

# --- an error object inside a 200 JSON stream ---------------------------------------
# A pull from a registry that is not there answers 500 before streaming on this daemon,
# so use a classic-builder build whose RUN step fails: the daemon has already sent 200
# and reports the failure as {"errorDetail":{"code":3,…},"error":…}.
printf 'FROM %s\nRUN exit 3\n' "$IMAGE" >"$WORK/Dockerfile"
tar -cf "$WORK/context.tar" -C "$WORK" Dockerfile
capture pull-error.http -X POST -H 'Content-Type: application/x-tar' \
    --data-binary "@$WORK/context.tar" \
    "$BASE/build?rm=1&forcerm=1&labels=%7B%22berth.test%22%3A%221%22%7D"

# --- container inspect and list: the answers kept as bytes and decoded on first use --
# Label values with <, >, &, quotes and non-ASCII text (this daemon sends them as they
# are, unescaped, UTF-8), so the JSON check at arrival meets them.
TAG="${TAG%-events}-json"
EXTRA_LABELS="\"html\":\"<a href='x'>&amp;</a>\",\"text\":\"größe ✓\""
create_container false true >/dev/null # in this shell, so $id and $CREATED stay set
EXTRA_LABELS=""
run_to_exit "$id"
labelled=$id
create_container false sleep 1 >/dev/null # a second item for the list
capture inspect.http "$BASE/containers/$labelled/json"
filters=$(printf '{"label":["berth.capture=%s"]}' "$TAG" | sed 's/{/%7B/g; s/}/%7D/g; s/"/%22/g; s/\[/%5B/g; s/\]/%5D/g; s/:/%3A/g; s/=/%3D/g')
capture list.http "$BASE/containers/json?all=1&filters=$filters"
