#!/usr/bin/env bash
# Provision the real Docker engine berth's tests run against (DESIGN.md → Test engine).
#
# - If DOCKER_HOST or /var/run/docker.sock answers, use it.
# - Otherwise, as root: install docker.io, busybox-static, docker-registry, apache2-utils and
#   openssl when missing, start dockerd in the background and wait until it answers.
# - Make sure the test image busybox:berth-test exists (built by `docker import` of a
#   busybox-static rootfs: there is no internet registry here).
#
# Usage: tests/engine/provision.sh         (idempotent; prints the daemon's version at the end)
set -euo pipefail

log() { printf 'provision: %s\n' "$*" >&2; }
die() { printf 'provision: error: %s\n' "$*" >&2; exit 1; }

STATE_DIR=${BERTH_ENGINE_STATE:-/var/tmp/berth-engine}
mkdir -p "$STATE_DIR" 2>/dev/null || true

answers() {
  command -v docker >/dev/null 2>&1 || return 1
  timeout 5 docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1
}

install_packages() {
  local need=()
  command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  [ -x /bin/busybox ] || need+=(busybox-static)
  command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ] || need+=(docker-registry)
  command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing ${need[*]}; run this script as root or install them (apt-get install ${need[*]})"
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
}

start_dockerd() {
  [ "$(id -u)" = 0 ] || die "no Docker daemon answers and this is not root: start dockerd yourself or set DOCKER_HOST"
  local pidfile=/var/run/docker.pid pid
  pid=$(cat "$pidfile" 2>/dev/null) || pid=""
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    if [ -S /var/run/docker.sock ]; then
      # Running, but slow to answer (a loaded machine): wait for it. Starting another
      # one would delete its socket and then fail on its pidfile.
      log "dockerd (pid $pid) is running but not answering yet; waiting"
      for _ in $(seq 1 120); do
        if answers; then return 0; fi
        sleep 0.5
      done
      die "dockerd (pid $pid) runs but does not answer on /var/run/docker.sock; see $STATE_DIR/dockerd.log or restart it"
    fi
    # Running without its socket, so nobody can reach it: stopped, then started afresh.
    log "dockerd (pid $pid) has no socket; stopping it"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [ -f "$pidfile" ]; then
    log "removing stale pidfile $pidfile"
    rm -f "$pidfile"
  fi
  rm -f /var/run/docker.sock
  # containerd may be left over from a killed daemon: dockerd starts its own.
  log "starting dockerd (log: $STATE_DIR/dockerd.log)"
  nohup dockerd --host unix:///var/run/docker.sock --pidfile "$pidfile" \
    >"$STATE_DIR/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    if answers; then return 0; fi
    sleep 0.5
  done
  tail -n 30 "$STATE_DIR/dockerd.log" >&2 || true
  die "dockerd did not answer within 60 s"
}

ensure_test_image() {
  if docker image inspect busybox:berth-test >/dev/null 2>&1; then return 0; fi
  [ -x /bin/busybox ] || die "busybox-static is needed to build busybox:berth-test"
  log "building busybox:berth-test from /bin/busybox"
  local root
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/root"
  cp /bin/busybox "$root/bin/busybox"
  for app in $("$root/bin/busybox" --list); do
    [ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
  tar -C "$root" -c . | docker import \
    --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' \
    - busybox:berth-test >/dev/null
  rm -rf "$root"
}

# A local registry without auth on 127.0.0.1:5000 (the daemon treats loopback registries
# as insecure, so plain HTTP works), holding 127.0.0.1:5000/busybox:berth-test.
REGISTRY_PORT=${BERTH_REGISTRY_PORT:-5000}
ensure_registry() {
  if curl -fsS "http://127.0.0.1:$REGISTRY_PORT/v2/" >/dev/null 2>&1; then return 0; fi
  command -v docker-registry >/dev/null 2>&1 || { log "docker-registry missing: no local registry"; return 0; }
  local dir="$STATE_DIR/registry"
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REGISTRY_PORT
YML
  log "starting docker-registry on 127.0.0.1:$REGISTRY_PORT (log: $dir/registry.log)"
  nohup docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
  for _ in $(seq 1 40); do
    if curl -fsS "http://127.0.0.1:$REGISTRY_PORT/v2/" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  die "docker-registry did not answer on 127.0.0.1:$REGISTRY_PORT"
}

ensure_registry_image() {
  local ref="127.0.0.1:$REGISTRY_PORT/busybox:berth-test"
  if curl -fsS "http://127.0.0.1:$REGISTRY_PORT/v2/busybox/manifests/berth-test" \
      -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' >/dev/null 2>&1; then
    return 0
  fi
  log "pushing $ref"
  docker tag busybox:berth-test "$ref"
  docker push "$ref" >/dev/null
  docker rmi "$ref" >/dev/null
}

# A second local registry on 127.0.0.1:5001 WITH htpasswd auth (user berth, password
# berth-secret), for login and authenticated push/pull tests. It starts empty.
AUTH_REGISTRY_PORT=${BERTH_AUTH_REGISTRY_PORT:-5001}
AUTH_REGISTRY_USER=berth
AUTH_REGISTRY_PASSWORD=berth-secret
ensure_auth_registry() {
  # /v2/ answers 401 (not a connection error) when the registry is up.
  if curl -sS -o /dev/null "http://127.0.0.1:$AUTH_REGISTRY_PORT/v2/" 2>/dev/null; then return 0; fi
  command -v docker-registry >/dev/null 2>&1 || { log "docker-registry missing: no auth registry"; return 0; }
  command -v htpasswd >/dev/null 2>&1 || die "htpasswd (apache2-utils) is needed for the auth registry"
  local dir="$STATE_DIR/registry-auth"
  mkdir -p "$dir/data"
  htpasswd -Bbn "$AUTH_REGISTRY_USER" "$AUTH_REGISTRY_PASSWORD" >"$dir/htpasswd"
  cat >"$dir/config.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$AUTH_REGISTRY_PORT
auth:
  htpasswd:
    realm: berth-test
    path: $dir/htpasswd
YML
  log "starting docker-registry with htpasswd auth on 127.0.0.1:$AUTH_REGISTRY_PORT (log: $dir/registry.log)"
  nohup docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
  for _ in $(seq 1 40); do
    local code
    code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$AUTH_REGISTRY_PORT/v2/" 2>/dev/null || true)
    if [ "$code" = 401 ]; then return 0; fi
    sleep 0.25
  done
  die "docker-registry (auth) did not answer on 127.0.0.1:$AUTH_REGISTRY_PORT"
}

if [ -z "${DOCKER_HOST:-}" ] || ! answers; then
  install_packages
fi
if ! answers; then
  [ -z "${DOCKER_HOST:-}" ] || die "DOCKER_HOST=$DOCKER_HOST does not answer"
  start_dockerd
fi
ensure_test_image
ensure_registry
ensure_registry_image
ensure_auth_registry
log "engine ready: API $(docker version --format '{{.Server.APIVersion}}'), server $(docker version --format '{{.Server.Version}}')"
