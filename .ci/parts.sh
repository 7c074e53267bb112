# shellcheck shell=bash
# How scripts/test runs its parts: all at once (most of their time is spent waiting on
# PostgreSQL, containers, health checks, Swarm, not computing), each to its end even when
# another fails, each one's output behind its name and in artifacts/test-logs/PART.log; then
# the closing lines: where the time went, what failed, the tests added up
# (.ci/test-summary.py). Sourced by scripts/test after scripts/lib.sh and .ci/tools.sh.

REPORTS="$ARTIFACTS/test-reports"  # each runner's JUnit report
LOGS="$ARTIFACTS/test-logs"
TEST_TIMES="$ARTIFACTS/test-times.tsv"  # when each step began, for the table of times

# A step: announced, and its start noted for the table of times.
say() {
  printf '\n\033[1m==> %s\033[0m\n' "$*" >&2
  printf '%s\t%s\t%s\n' "$(date +%s.%N)" "${TEST_PART:-}" "$*" >> "$TEST_TIMES"
}

# after PART...: wait until each part named that this run runs has ended (its status file
# is written), at most an hour.
after() {
  local part deadline=$((SECONDS + 3600))
  say "${TEST_PART}: waiting for the $* parts to end (both cores are theirs until then)"
  for part in "$@"; do
    [[ " ${RUNNING_PARTS[*]} " == *" $part "* ]] || continue
    until [ -e "$LOGS/$part.status" ]; do
      [ "$SECONDS" -lt "$deadline" ] || die "the $part part has not ended in an hour"
      sleep 1
    done
  done
}

# alone NAME COMMAND...: COMMAND while no other part runs one under NAME. On Docker Engine
# 20.10, `docker swarm leave` takes name resolution away from every network that existed
# while the engine was in swarm mode: the one-node Swarm test and the compose stacks take
# turns (NAME engine-networks).
alone() { with_lock "$@"; }

# stack_tests REPORT TEST_FILE... [-- pytest arguments]: pytest on the real engine.
stack_tests() {
  local report="$1" files=()
  shift
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do files+=("../e2e/$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  (cd "$ROOT/backend" && uv run --group e2e pytest "${files[@]}" -c ../e2e/pytest.ini \
    --stack compose -s --junitxml="$REPORTS/$report" "$@")
}

_mark() { printf '%s\t%s\t%s\n' "$(date +%s.%N)" "$1" "$2" >> "$TEST_TIMES"; }

# One part, in a subshell (a failing command ends this part only), its status to a file.
_run_part() {
  local part="$1"
  shift
  export TEST_PART="$part"
  _mark "$part" "(start)"
  set +e
  ( set -e; "part_$part" "$@" ) </dev/null
  echo "$?" > "$LOGS/$part.status"
  _mark "$part" "(end)"
}

# run_parts [PART...] [-- pytest arguments]: the parts named (all of PARTS when none), at
# once; one part alone runs as it is, without the names in front of its lines.
run_parts() {
  RUNNING_PARTS=()
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do RUNNING_PARTS+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  [ "${#RUNNING_PARTS[@]}" -gt 0 ] || RUNNING_PARTS=("${PARTS[@]}")
  local part status failed=()
  for part in "${RUNNING_PARTS[@]}"; do
    [[ " ${PARTS[*]} " == *" $part "* ]] || die "unknown part: $part (${PARTS[*]})"
  done
  rm -rf "$REPORTS" "$LOGS" && mkdir -p "$REPORTS" "$LOGS"
  : > "$TEST_TIMES"
  touch "$ARTIFACTS/.test-run-started"  # built frontends older than this are built again
  if [ "${#RUNNING_PARTS[@]}" -eq 1 ]; then
    _run_part "${RUNNING_PARTS[0]}" "$@" 2>&1 | tee "$LOGS/${RUNNING_PARTS[0]}.log"
  else
    for part in "${RUNNING_PARTS[@]}"; do
      _run_part "$part" "$@" 2>&1 | tee "$LOGS/$part.log" \
        | awk -v name="$part" '{ printf "%-8s| %s\n", name, $0; fflush() }' &
    done
    wait
  fi
  for part in "${RUNNING_PARTS[@]}"; do
    status="$(cat "$LOGS/$part.status" 2>/dev/null || echo 1)"
    if [ "$status" -ne 0 ]; then
      failed+=("$part")
      printf '\n\033[31mFAILED: %s (exit status %s; its whole output: artifacts/test-logs/%s.log)\033[0m\n' \
        "$part" "$status" "$part" >&2
    fi
  done
  TEST_PART="" say "Done: ${RUNNING_PARTS[*]}"
  python3 "$ROOT/.ci/test-summary.py" "$REPORTS" --times "$TEST_TIMES" --logs "$LOGS" "${failed[@]}"
}
