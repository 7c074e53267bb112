# shellcheck shell=bash
# Shared by the project's scripts: paths, the pinned uv and bun, and how to get them.
# Sourced, not run. Both go to .tools/ (git-ignored): nothing is installed on your system.
# (What only the tests need, linters, scanners, the Docker engine, is the test rig's:
# .ci/tools.sh.)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
ARTIFACTS="$ROOT/artifacts"

# Pinned versions of the tools the project runs (bump them here, in one place).
UV_VERSION="0.13.9"
BUN_VERSION="1.4.5"

export PATH="$TOOLS/bin:$PATH"
# uv keeps to the lock file and to the interpreter it is given, never downloading Python.
export UV_PYTHON_DOWNLOADS=never

# Each step a script announces.
say() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

ensure_uv() {
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
uv_sync() { uv sync --frozen --quiet --compile-bytecode "$@"; }

ensure_bun() {
  if [ "$("$TOOLS/bin/bun" --version 2>/dev/null)" = "$BUN_VERSION" ]; then return; fi
  say "Installing bun $BUN_VERSION into .tools/ (from the npm package, which ships the binary)"
  command -v npm >/dev/null || die "npm is needed to install bun: install Node.js 20 or newer"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/bun-npm" "bun@$BUN_VERSION"
  mkdir -p "$TOOLS/bin"
  ln -sf "$TOOLS/bun-npm/node_modules/bun/bin/bun.exe" "$TOOLS/bin/bun"
  "$TOOLS/bin/bun" --version >/dev/null || die "the bun binary from npm does not run here"
}
