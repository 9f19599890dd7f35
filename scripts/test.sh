#!/usr/bin/env bash
# The one test command: starts a throwaway PostgreSQL and Redis on free
# 127.0.0.1 ports, runs `dotnet test` on the solution against them, prints a
# summary as the last line ("N passed, N failed[, N skipped]") and always
# tears everything down.
#
#   scripts/test.sh                          # whole suite
#   scripts/test.sh --filter "FullyQualifiedName~Contacts"
#
# Extra arguments are passed to `dotnet test`.
# CRM_TEST_INSTALL=0 forbids installing missing Debian packages (postgresql,
# redis-server); otherwise they are installed with apt-get when running as root.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

# shellcheck source=lib/services.sh
source "$ROOT/scripts/lib/services.sh"

svc_require postgres redis

DOTNET_PID=""
TORN_DOWN=0
teardown() {
  ((TORN_DOWN)) && return 0
  TORN_DOWN=1
  # Interrupted mid-run: stop the test run before pulling the services away.
  [[ -n "$DOTNET_PID" ]] && _stop_pid "$DOTNET_PID"
  svc_teardown
}
on_exit() {
  local rc=$?
  teardown
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

svc_workdir crm-test
WORK="$SVC_WORK"
mkdir -p "$WORK/results"
svc_start_postgres
svc_createdb crm_test >/dev/null
svc_start_redis

# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------
export CRM_TEST_DB="Host=127.0.0.1;Port=$PG_PORT;Database=crm_test;Username=postgres;Pooling=true"
export CRM_TEST_REDIS="127.0.0.1:$REDIS_PORT"
export CRM_TEST_PG_BIN="$PG_BIN"
export CRM_TEST_PG_DATA="$PG_DATA"
export CRM_TEST_PG_USER="$PG_USER"
export CRM_TEST_PG_PORT="$PG_PORT"
export CRM_TEST_REDIS_PORT="$REDIS_PORT"

log "running dotnet test${*:+ $*}"
t0="$(now)"
test_rc=0
# In the background + wait, so an INT/TERM trap runs at once instead of after
# dotnet exits. LogFilePrefix (not LogFileName) gives each test project its own
# trx; a fixed LogFileName is overwritten by every project in the solution.
dotnet test AttackACrack.sln --logger "trx;LogFilePrefix=results" \
  --results-directory "$WORK/results" "$@" &
DOTNET_PID=$!
wait "$DOTNET_PID" || test_rc=$?
DOTNET_PID=""
log "dotnet test exited with $test_rc after $(elapsed "$t0")"

# ---------------------------------------------------------------------------
# Summary (sums the ResultSummary counters of every trx produced)
# ---------------------------------------------------------------------------
counter() { # counter FILE NAME -> value of NAME="..." in <Counters>, 0 if absent
  local v
  v="$(grep -o '<Counters [^>]*>' "$1" 2>/dev/null | head -n 1 |
    grep -oE "[[:space:]]$2=\"[0-9]+\"" | grep -oE '[0-9]+' || true)"
  printf '%s' "${v:-0}"
}

trx_files=()
while IFS= read -r -d '' f; do trx_files+=("$f"); done \
  < <(find "$WORK/results" -name '*.trx' -print0 2>/dev/null)

total=0 executed=0 passed=0 failed=0
for f in ${trx_files[@]+"${trx_files[@]}"}; do
  total=$((total + $(counter "$f" total)))
  executed=$((executed + $(counter "$f" executed)))
  passed=$((passed + $(counter "$f" passed)))
  failed=$((failed + $(counter "$f" failed) + $(counter "$f" error) \
    + $(counter "$f" timeout) + $(counter "$f" aborted)))
done
skipped=$((total - executed))
((skipped < 0)) && skipped=0

final_rc=0
if ((${#trx_files[@]} == 0)); then
  printf 'error: no test results produced (build failure?)\n' >&2
  summary="0 passed, 1 failed"
  final_rc=1
else
  if ((test_rc != 0 && failed == 0)); then
    # e.g. one project failed to build, or a test host crashed: count it.
    printf 'error: dotnet test failed (exit %s) without a failed test (build error or crashed test host?)\n' "$test_rc" >&2
    failed=1
  fi
  summary="$passed passed, $failed failed"
  ((skipped > 0)) && summary+=", $skipped skipped"
  if ((test_rc != 0 || failed > 0)); then
    final_rc=1
  elif ((executed == 0)); then
    printf 'error: no tests were executed\n' >&2
    final_rc=1
  fi
fi

teardown
printf '%s\n' "$summary"
exit "$final_rc"
