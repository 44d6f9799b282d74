#!/usr/bin/env bash
# An sshd on 127.0.0.1 for berth's ssh:// transport tests (DESIGN.md → Test engine).
# `ssh -F DIR/ssh_config berth-ssh-test docker system dial-stdio` then carries the Engine
# API of the local daemon (the docker CLI runs on the same machine).
#
# Usage:
#   tests/engine/sshd.sh DIR [PORT]   install openssh-server if missing, make keys in DIR,
#                                     authorise the client key for root and start sshd on
#                                     127.0.0.1:PORT (default 2222); idempotent
#   tests/engine/sshd.sh stop DIR     stop the sshd started with DIR
#
# Files in DIR: ssh_host_ed25519_key(.pub), id_ed25519(.pub) (the client key), ssh_config
# (Host berth-ssh-test), sshd.pid, sshd.log, port.
# Prints nothing on success; on failure the reason on stderr. Needs root.
set -euo pipefail

die() { printf 'sshd.sh: error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '6,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

running_pid() {
  local d=$1 pid
  [ -f "$d/sshd.pid" ] || return 1
  pid=$(cat "$d/sshd.pid")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  printf '%s\n' "$pid"
}

answers() {
  local d=$1
  timeout 10 ssh -F "$d/ssh_config" -o BatchMode=yes berth-ssh-test true </dev/null >/dev/null 2>&1
}

start() {
  local d=$1 port=${2:-2222}
  case $port in '' | *[!0-9]*) die "PORT must be a number, got '$port'" ;; esac
  [ "$(id -u)" = 0 ] || die "this script needs root (it starts sshd and edits /root/.ssh/authorized_keys)"
  if [ ! -x /usr/sbin/sshd ] || ! command -v ssh >/dev/null 2>&1 || ! command -v ssh-keygen >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    local log
    log=$(mktemp)
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      openssh-server openssh-client; } >"$log" 2>&1; then
      cat "$log" >&2
      rm -f "$log"
      die "cannot install openssh-server"
    fi
    rm -f "$log"
  fi
  mkdir -p "$d"
  d=$(cd "$d" && pwd)

  [ -s "$d/ssh_host_ed25519_key" ] ||
    ssh-keygen -q -t ed25519 -N '' -C berth-test-host -f "$d/ssh_host_ed25519_key" </dev/null >/dev/null
  [ -s "$d/id_ed25519" ] ||
    ssh-keygen -q -t ed25519 -N '' -C berth-test-client -f "$d/id_ed25519" </dev/null >/dev/null
  chmod 600 "$d/ssh_host_ed25519_key" "$d/id_ed25519"

  # sshd's StrictModes wants ~/.ssh and the file private to root.
  mkdir -p /root/.ssh
  chmod 700 /root/.ssh
  touch /root/.ssh/authorized_keys
  chmod 600 /root/.ssh/authorized_keys
  local pub
  pub=$(cat "$d/id_ed25519.pub")
  grep -qxF "$pub" /root/.ssh/authorized_keys || printf '%s\n' "$pub" >>/root/.ssh/authorized_keys

  cat >"$d/ssh_config" <<EOF
Host berth-ssh-test
  HostName 127.0.0.1
  Port $port
  User root
  IdentityFile $d/id_ed25519
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
EOF

  if running_pid "$d" >/dev/null; then
    if [ "$(cat "$d/port" 2>/dev/null)" = "$port" ] && answers "$d"; then return 0; fi
    die "an sshd from $d is already running on port $(cat "$d/port" 2>/dev/null); stop it first"
  fi
  rm -f "$d/sshd.pid"
  printf '%s\n' "$port" >"$d/port"
  mkdir -p /run/sshd
  chmod 755 /run/sshd
  # -f /dev/null: no system configuration; sshd forks into the background and writes
  # its pid to PidFile once it listens.
  /usr/sbin/sshd -f /dev/null -E "$d/sshd.log" \
    -o Port="$port" -o ListenAddress=127.0.0.1 -o HostKey="$d/ssh_host_ed25519_key" \
    -o PermitRootLogin=prohibit-password -o PasswordAuthentication=no \
    -o KbdInteractiveAuthentication=no -o PidFile="$d/sshd.pid" \
    || { cat "$d/sshd.log" >&2 2>/dev/null; die "sshd did not start"; }
  for _ in $(seq 1 60); do
    if answers "$d"; then return 0; fi
    sleep 0.5
  done
  tail -n 20 "$d/sshd.log" >&2 || true
  die "cannot log in to the test sshd on 127.0.0.1:$port within 30 s"
}

stop() {
  local d=$1 pid
  pid=$(running_pid "$d") || { rm -f "$d/sshd.pid"; return 0; }
  kill "$pid"
  for _ in $(seq 1 20); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$d/sshd.pid"; return 0; }
    sleep 0.25
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$d/sshd.pid"
}

case ${1:-} in
  '' | -h | --help) usage ;;
  stop) [ $# -eq 2 ] || usage; stop "$2" ;;
  *) [ $# -le 2 ] || usage; start "$1" "${2:-2222}" ;;
esac
