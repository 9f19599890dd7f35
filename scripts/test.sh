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
# After `dotnet test`, the interop stage runs the standard npm clients
# (tests/interop, Node's test runner) against two instances of the built server;
# it is skipped with --filter (a developer's subset) or CRM_TEST_INTEROP=0, and
# CRM_TEST_INTEROP=1 runs it even with --filter.
# CRM_TEST_INSTALL=0 forbids installing missing Debian packages (postgresql,
# redis-server, chromium for the admin page's browser tests, nodejs, npm) and
# fetching promtool; otherwise they are installed with apt-get when running as root
# (promtool is only unpacked from the Debian package prometheus into ~/.cache, for
# the alert rules' tests: CRM_TEST_PROMTOOL).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

# shellcheck source=lib/services.sh
source "$ROOT/scripts/lib/services.sh"

interop_skip=""
for arg in "$@"; do [[ "$arg" == --filter* ]] && interop_skip="a --filter run; CRM_TEST_INTEROP=1 runs it"; done
case "${CRM_TEST_INTEROP:-}" in
  0) interop_skip="CRM_TEST_INTEROP=0" ;;
  1) interop_skip="" ;;
esac
run_interop=1
[[ -n "$interop_skip" ]] && run_interop=0

if ((run_interop)); then svc_require postgres redis chromium promtool node; else svc_require postgres redis chromium promtool; fi

CHILD_PID=""
TORN_DOWN=0
teardown() {
  ((TORN_DOWN)) && return 0
  TORN_DOWN=1
  # Interrupted mid-run: stop the test run before pulling the services away.
  [[ -n "$CHILD_PID" ]] && _stop_pid "$CHILD_PID"
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
# fsync stays off (fast), but commits wait for their WAL to be written: a synchronous commit then survives
# `pg_ctl stop -m immediate`, as it survives a crash in production, which the durability tests rely on.
svc_start_postgres "synchronous_commit = on"
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
export CRM_TEST_PROMTOOL="$PROMTOOL"

log "running dotnet test${*:+ $*}"
t0="$(now)"
test_rc=0
# In the background + wait, so an INT/TERM trap runs at once instead of after
# dotnet exits. LogFilePrefix (not LogFileName) gives each test project its own
# trx; a fixed LogFileName is overwritten by every project in the solution.
dotnet test AttackACrack.sln --logger "trx;LogFilePrefix=results" \
  --results-directory "$WORK/results" "$@" &
CHILD_PID=$!
wait "$CHILD_PID" || test_rc=$?
CHILD_PID=""
log "dotnet test exited with $test_rc after $(elapsed "$t0")"

# ---------------------------------------------------------------------------
# Interop: the npm clients (graphql-ws + ws, graphql-sse, graphql-http) against
# the server dll `dotnet test` just built, two instances on one PostgreSQL and
# Redis so that the events the clients receive have crossed Redis.
# ---------------------------------------------------------------------------
interop_passed=0 interop_failed=0
interop_fail() { # interop_fail MESSAGE [LOG...]: one failure, with the logs' tails
  local f
  printf 'error: interop: %s\n' "$1" >&2
  shift
  for f in "$@"; do
    [[ -f "$f" ]] || continue
    printf -- '--- tail of %s ---\n' "$(basename "$f")" >&2
    tail -n 40 "$f" >&2
  done
  ((interop_failed == 0)) && interop_failed=1
  return 0
}

tap_count() { # tap_count NAME FILE -> N from the reporter's final "# NAME N", 0 if absent
  local v
  v="$(grep -oE "^# $1 [0-9]+\$" "$2" 2>/dev/null | tail -n 1 | grep -oE '[0-9]+' || true)"
  printf '%s' "${v:-0}"
}

run_interop_stage() {
  local dir="$ROOT/tests/interop" dll="$ROOT/src/Crm.GraphQL/bin/Debug/net10.0/Crm.GraphQL.dll"
  local t0 db key email password rc=0 tap="$WORK/interop.tap"
  t0="$(now)"
  [[ -f "$dll" ]] || { interop_fail "no server build at ${dll#"$ROOT"/}"; return 0; }
  log "interop: npm ci"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >"$WORK/npm-ci.log" 2>&1 ||
    { interop_fail "npm ci failed" "$WORK/npm-ci.log"; return 0; }

  db="$(svc_createdb crm_interop)"
  key="$(head -c 32 /dev/urandom | base64)"
  email="interop@example.com"
  password="Interop-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')-Z9"
  log "interop: starting two server instances"
  # A takes the webhooks (and creates the admin); B only serves subscriptions.
  if ! svc_start_server interop_a "$dll" ConnectionStrings__Crm="$db" ConnectionStrings__Redis="127.0.0.1:$REDIS_PORT" \
    OpenPhone__WebhookSigningKeys__0="$key" Crm__SeedDemoData=false \
    Crm__Admin__Email="$email" Crm__Admin__Password="$password" ||
    ! svc_start_server interop_b "$dll" ConnectionStrings__Crm="$db" ConnectionStrings__Redis="127.0.0.1:$REDIS_PORT" \
      Crm__SeedDemoData=false; then
    interop_fail "a server instance did not start"
    svc_stop_server interop_a
    return 0
  fi

  log "interop: node --test"
  # spec for people, TAP to a file for the counts; `timeout` backs up the tests' own bounds.
  (cd "$dir" && CRM_URL="$SERVER_URL_interop_a" CRM_SUBSCRIBE_URL="$SERVER_URL_interop_b" CRM_SIGNING_KEY="$key" \
    CRM_ADMIN_EMAIL="$email" CRM_ADMIN_PASSWORD="$password" \
    exec timeout -k 10 420 node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" interop.test.mjs) &
  CHILD_PID=$!
  wait "$CHILD_PID" || rc=$?
  CHILD_PID=""
  interop_passed="$(tap_count pass "$tap")"
  interop_failed=$(($(tap_count fail "$tap") + $(tap_count cancelled "$tap")))
  if ((rc != 0 || interop_passed == 0)); then
    # A crash or a timeout before any test reported still counts as a failure.
    interop_fail "node --test exited with $rc" "$SVC_WORK/interop_a.log" "$SVC_WORK/interop_b.log"
  fi
  svc_stop_server interop_a
  svc_stop_server interop_b
  log "interop: $interop_passed passed, $interop_failed failed in $(elapsed "$t0")"
}

if ((run_interop)); then
  run_interop_stage
else
  log "interop stage skipped ($interop_skip)"
fi

# ---------------------------------------------------------------------------
# Summary (sums the ResultSummary counters of every trx produced, plus interop)
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
  failed=1
  final_rc=1
else
  if ((test_rc != 0 && failed == 0)); then
    # e.g. one project failed to build, or a test host crashed: count it.
    printf 'error: dotnet test failed (exit %s) without a failed test (build error or crashed test host?)\n' "$test_rc" >&2
    failed=1
  fi
  if ((test_rc != 0 || failed > 0)); then
    final_rc=1
  elif ((executed == 0)); then
    printf 'error: no tests were executed\n' >&2
    final_rc=1
  fi
fi
passed=$((passed + interop_passed))
failed=$((failed + interop_failed))
((interop_failed > 0)) && final_rc=1
summary="$passed passed, $failed failed"
((skipped > 0)) && summary+=", $skipped skipped"

teardown
printf '%s\n' "$summary"
exit "$final_rc"
