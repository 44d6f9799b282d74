#!/usr/bin/env bash
# A second dockerd that only speaks TLS with client certificates, for berth's TLS tests
# (DESIGN.md → Test engine). It runs beside the main daemon and shares nothing with it.
#
# Usage:
#   tests/engine/tls-dockerd.sh DIR [PORT]   make the certificates in DIR (if missing) and start
#                                            dockerd on tcp://127.0.0.1:PORT (default 23760);
#                                            returns once it answers /_ping (idempotent)
#   tests/engine/tls-dockerd.sh certs DIR    only make the certificates
#   tests/engine/tls-dockerd.sh stop DIR     stop the daemon started with DIR
#
# Files in DIR:
#   ca.pem ca-key.pem              the CA that signs everything below
#   server-cert.pem server-key.pem the daemon's certificate (SAN IP:127.0.0.1, DNS:localhost)
#   cert.pem key.pem               a client certificate (extendedKeyUsage=clientAuth), so DIR
#                                  works as DOCKER_CERT_PATH
#   other-ca.pem                   an unrelated CA, for "wrong CA" tests
#   dockerd.log pid port data/ exec/
#
# Prints nothing on success; on failure the reason (and the daemon's log) on stderr.
set -euo pipefail

die() { printf 'tls-dockerd: error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '5,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

make_certs() {
  local d=$1
  command -v openssl >/dev/null 2>&1 || die "openssl is needed (apt-get install openssl)"
  mkdir -p "$d"
  if [ -s "$d/ca.pem" ] && [ -s "$d/server-cert.pem" ] && [ -s "$d/cert.pem" ] &&
    [ -s "$d/key.pem" ] && [ -s "$d/other-ca.pem" ]; then
    return 0
  fi
  (
    cd "$d"
    umask 077
    # CA and server: P-256 keys (PKCS#8). Client: RSA in PKCS#1 form, so both key
    # encodings berth reads are exercised.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -subj "/CN=berth test CA" -keyout ca-key.pem -out ca.pem \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -subj "/CN=berth unrelated CA" -keyout other-ca-key.pem -out other-ca.pem \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -subj "/CN=localhost" -keyout server-key.pem -out server.csr
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" \
      "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth" >server-ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
      -extfile server-ext.cnf -out server-cert.pem

    openssl genrsa -traditional -out key.pem 2048
    openssl req -new -key key.pem -subj "/CN=berth test client" -out client.csr
    printf '%s\n' "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=clientAuth" \
      >client-ext.cnf
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
      -extfile client-ext.cnf -out cert.pem

    rm -f server.csr client.csr server-ext.cnf client-ext.cnf ca.srl other-ca-key.pem
    chmod 644 ca.pem other-ca.pem server-cert.pem cert.pem
  ) >/dev/null 2>"$d/openssl.log" || {
    cat "$d/openssl.log" >&2
    die "openssl failed to make the certificates in $d"
  }
  rm -f "$d/openssl.log"
}

ping_ok() {
  local d=$1 port=$2
  [ "$(curl -s --max-time 3 --cacert "$d/ca.pem" --cert "$d/cert.pem" --key "$d/key.pem" \
    "https://127.0.0.1:$port/_ping" 2>/dev/null)" = OK ]
}

running_pid() {
  local d=$1 pid
  [ -f "$d/pid" ] || return 1
  pid=$(cat "$d/pid")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  printf '%s\n' "$pid"
}

start() {
  local d=$1 port=${2:-23760}
  case $port in '' | *[!0-9]*) die "PORT must be a number, got '$port'" ;; esac
  [ "$(id -u)" = 0 ] || die "starting dockerd needs root"
  command -v dockerd >/dev/null 2>&1 || die "dockerd is not installed (tests/engine/provision.sh installs it)"
  command -v curl >/dev/null 2>&1 || die "curl is needed (apt-get install curl)"
  mkdir -p "$d"
  d=$(cd "$d" && pwd)
  make_certs "$d"

  if running_pid "$d" >/dev/null; then
    if [ "$(cat "$d/port" 2>/dev/null)" = "$port" ] && ping_ok "$d" "$port"; then return 0; fi
    die "a dockerd from $d is already running on another port ($(cat "$d/port" 2>/dev/null)); stop it first"
  fi
  # A daemon that was killed leaves its pidfile behind, and dockerd refuses to start then.
  rm -f "$d/pid"
  mkdir -p "$d/data" "$d/exec"
  printf '%s\n' "$port" >"$d/port"
  # Its own bridge: with --bridge=none dockerd deletes the default `docker0`, which the
  # main daemon's containers need (it shares this network namespace).
  if ! ip link show berth-tls0 >/dev/null 2>&1; then
    ip link add berth-tls0 type bridge
    ip addr add 10.250.0.1/24 dev berth-tls0
    ip link set berth-tls0 up
  fi
  # Its own containerd namespaces, so it never sees the main daemon's containers.
  nohup dockerd --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/pid" \
    -H "tcp://127.0.0.1:$port" --tlsverify --tlscacert "$d/ca.pem" \
    --tlscert "$d/server-cert.pem" --tlskey "$d/server-key.pem" \
    --bridge=berth-tls0 --iptables=false --ip-masq=false \
    --containerd-namespace berth-tls --containerd-plugins-namespace berth-tls-plugins \
    >"$d/dockerd.log" 2>&1 </dev/null &
  local launched=$!
  for _ in $(seq 1 120); do
    if ping_ok "$d" "$port"; then return 0; fi
    if ! kill -0 "$launched" 2>/dev/null; then
      tail -n 30 "$d/dockerd.log" >&2 || true
      die "dockerd exited; see $d/dockerd.log"
    fi
    sleep 0.5
  done
  tail -n 30 "$d/dockerd.log" >&2 || true
  die "the TLS dockerd did not answer on https://127.0.0.1:$port within 60 s"
}

stop() {
  local d=$1 pid
  pid=$(running_pid "$d") || { rm -f "$d/pid"; return 0; }
  kill "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$d/pid"; return 0; }
    sleep 0.5
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$d/pid"
}

case ${1:-} in
  '' | -h | --help) usage ;;
  certs) [ $# -eq 2 ] || usage; make_certs "$2" ;;
  stop) [ $# -eq 2 ] || usage; stop "$2" ;;
  *) [ $# -le 2 ] || usage; start "$1" "${2:-23760}" ;;
esac
