#!/usr/bin/env bash
# A second, plain dockerd on its own unix socket, for tests that kill and restart a
# daemon while berth streams from it (tests/tests/daemon_faults.rs). The shared daemon on
# /var/run/docker.sock is never touched. Modelled on tls-dockerd.sh.
#
# Usage:
#   tests/engine/second-dockerd.sh DIR          start dockerd on unix://DIR/docker.sock (if not
#                                               running), wait until it answers, and load the
#                                               test image busybox:berth-test into it
#   tests/engine/second-dockerd.sh stop DIR     SIGTERM, wait for it to exit
#   tests/engine/second-dockerd.sh kill DIR     SIGKILL, wait for it to exit
#
# Files in DIR: docker.sock pid dockerd.log data/ exec/
# Prints nothing on success; on failure the reason (and the daemon's log) on stderr.
set -euo pipefail

die() { printf 'second-dockerd: error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '6,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

ping_ok() {
  [ "$(curl -s --max-time 3 --unix-socket "$1/docker.sock" http://localhost/_ping 2>/dev/null)" = OK ]
}

running_pid() {
  local d=$1 pid
  [ -f "$d/pid" ] || return 1
  pid=$(cat "$d/pid")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  printf '%s\n' "$pid"
}

start() {
  local d=$1
  [ "$(id -u)" = 0 ] || die "starting dockerd needs root"
  command -v dockerd >/dev/null 2>&1 || die "dockerd is not installed (tests/engine/provision.sh installs it)"
  command -v curl >/dev/null 2>&1 || die "curl is needed (apt-get install curl)"
  mkdir -p "$d"
  d=$(cd "$d" && pwd)
  [ ${#d} -lt 90 ] || die "DIR $d is too long for a unix socket path"
  if running_pid "$d" >/dev/null && ping_ok "$d"; then
    load_image "$d"
    return 0
  fi
  # A killed daemon leaves its pidfile and socket behind, and dockerd will not start
  # over a pidfile it did not write.
  rm -f "$d/pid" "$d/docker.sock"
  stop_containerd "$d"
  mkdir -p "$d/data" "$d/exec"
  # Its own bridge: with --bridge=none dockerd deletes the default `docker0`, which the
  # main daemon's containers need (it shares this network namespace).
  if ! ip link show berth-2nd0 >/dev/null 2>&1; then
    ip link add berth-2nd0 type bridge
    ip addr add 10.251.0.1/24 dev berth-2nd0
    ip link set berth-2nd0 up
  fi
  # dockerd gives up when its containerd is slow to come up ("timeout waiting for
  # containerd to start", seen on a loaded machine right after a kill): then its
  # containerd is stopped and dockerd started once more.
  local attempt from
  for attempt in 1 2; do
    from=$(($(stat -c %s "$d/dockerd.log" 2>/dev/null || echo 0) + 1))
    if launch "$d"; then
      load_image "$d"
      return 0
    fi
    if [ "$attempt" = 1 ] && tail -c "+$from" "$d/dockerd.log" | grep -q "timeout waiting for containerd"; then
      rm -f "$d/pid" "$d/docker.sock"
      stop_containerd "$d"
      continue
    fi
    tail -c "+$from" "$d/dockerd.log" | tail -n 30 >&2 || true
    die "dockerd exited or did not answer on unix://$d/docker.sock within 60 s; see $d/dockerd.log"
  done
}

# Starts dockerd on DIR and waits up to 60 s for it to answer; false if it exited first
# or stayed silent.
launch() {
  local d=$1
  # Own containerd namespaces, so it never sees the main daemon's containers; a short
  # shutdown timeout so a graceful stop does not wait 15 s per container.
  nohup dockerd --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/pid" \
    -H "unix://$d/docker.sock" --bridge=berth-2nd0 --iptables=false --ip-masq=false \
    --shutdown-timeout 1 \
    --containerd-namespace berth-2nd --containerd-plugins-namespace berth-2nd-plugins \
    >>"$d/dockerd.log" 2>&1 </dev/null &
  local launched=$!
  for _ in $(seq 1 120); do
    ping_ok "$d" && return 0
    kill -0 "$launched" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}

# busybox:berth-test from the main daemon (its data root persists across restarts, so
# this copies once).
load_image() {
  local d=$1
  if docker -H "unix://$d/docker.sock" image inspect busybox:berth-test >/dev/null 2>&1; then
    return 0
  fi
  docker image inspect busybox:berth-test >/dev/null 2>&1 ||
    die "the main daemon has no busybox:berth-test (run tests/engine/provision.sh)"
  docker save busybox:berth-test | docker -H "unix://$d/docker.sock" load >/dev/null ||
    die "could not load busybox:berth-test into the second daemon"
}

# The daemon's own containerd (dockerd starts it and records its pid under the exec
# root). It can outlive a SIGKILLed dockerd or still be shutting down when the next
# dockerd starts; that one then finds it "still running", waits for it and gives up
# ("timeout waiting for containerd to start", seen on a loaded machine). So it is stopped
# with its daemon, and before every start.
stop_containerd() {
  local d=$1 pid
  pid=$(cat "$d/exec/containerd/containerd.pid" 2>/dev/null) || return 0
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  # Only if that pid still is this daemon's containerd (pids are reused).
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "containerd --config $d/exec/" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# Sends SIGNAL and waits until the daemon is gone (and its pidfile with it), then its
# containerd.
signal() {
  local sig=$1 d=$2 pid
  pid=$(running_pid "$d") || { rm -f "$d/pid"; stop_containerd "$d"; return 0; }
  kill "-$sig" "$pid"
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$d/pid"; stop_containerd "$d"; return 0; }
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$d/pid"
  stop_containerd "$d"
}

case ${1:-} in
  '' | -h | --help) usage ;;
  stop) [ $# -eq 2 ] || usage; signal TERM "$2" ;;
  kill) [ $# -eq 2 ] || usage; signal KILL "$2" ;;
  *) [ $# -eq 1 ] || usage; start "$1" ;;
esac
