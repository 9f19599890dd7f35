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

log() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
now() { printf '%s' "${EPOCHREALTIME:-$(date +%s.%N)}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# ---------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------
find_pg_bin() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
    printf '%s' "$d"; return 0
  fi
  if command -v pg_config >/dev/null 2>&1; then
    d="$(pg_config --bindir 2>/dev/null || true)"
    if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
      printf '%s' "$d"; return 0
    fi
  fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

command -v dotnet >/dev/null 2>&1 || die "dotnet SDK not found on PATH"

missing=()
find_pg_bin >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)

if ((${#missing[@]})); then
  if [[ "${CRM_TEST_INSTALL:-1}" == "0" ]]; then
    die "missing: ${missing[*]} (CRM_TEST_INSTALL=0, not installing). Install with: apt-get install -y postgresql redis-server"
  fi
  if [[ "$(id -u)" != "0" ]]; then
    die "missing: ${missing[*]}; not root, cannot install. Run: sudo apt-get install -y postgresql redis-server"
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing: ${missing[*]} and apt-get is not available"
  log "installing missing packages: ${missing[*]}"
  apt-get update -qq
  pkgs=()
  for p in "${missing[@]}"; do
    if [[ "$p" == postgresql ]] && apt-cache show postgresql-15 >/dev/null 2>&1; then
      pkgs+=(postgresql-15)
    else
      pkgs+=("$p")
    fi
  done
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi

PG_BIN="$(find_pg_bin)" || die "PostgreSQL server binaries (initdb, pg_ctl) not found"
command -v redis-server >/dev/null 2>&1 || die "redis-server not found"
command -v redis-cli >/dev/null 2>&1 || die "redis-cli not found"

# PostgreSQL refuses to run as root: use the `postgres` system user, or create one.
PG_USER="$(id -un)"
RUN_PG=()
if [[ "$(id -u)" == "0" ]]; then
  if id -u postgres >/dev/null 2>&1; then
    PG_USER=postgres
  else
    PG_USER=crmtest
    id -u crmtest >/dev/null 2>&1 ||
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin crmtest
  fi
  RUN_PG=(runuser -u "$PG_USER" --)
fi

# A free TCP port on 127.0.0.1 (below the ephemeral range), not in "$@".
free_port() {
  local p
  if p="$(python3 - "$@" 2>/dev/null <<'PY'
import random, socket, sys
exclude = {int(a) for a in sys.argv[1:]}
for _ in range(500):
    port = random.randint(20000, 32000)
    if port in exclude:
        continue
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit(1)
PY
  )" && [[ -n "$p" ]]; then
    printf '%s' "$p"; return 0
  fi
  local i ex
  for ((i = 0; i < 500; i++)); do
    p=$((20000 + RANDOM % 12000))
    for ex in "$@"; do [[ "$p" == "$ex" ]] && continue 2; done
    if [[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]]; then
      printf '%s' "$p"; return 0
    fi
  done
  return 1
}

# ---------------------------------------------------------------------------
# Teardown (always; never masks the exit code)
# ---------------------------------------------------------------------------
WORK=""
PG_DATA=""
PG_PORT=""
REDIS_PID=""
REDIS_PORT=""
DOTNET_PID=""
TORN_DOWN=0

teardown() {
  ((TORN_DOWN)) && return 0
  TORN_DOWN=1
  set +e
  if [[ -n "$DOTNET_PID" ]] && kill -0 "$DOTNET_PID" 2>/dev/null; then
    # Interrupted mid-run: stop the test run before pulling the services away.
    kill -TERM "$DOTNET_PID" 2>/dev/null
    for _ in {1..100}; do kill -0 "$DOTNET_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DOTNET_PID" 2>/dev/null
    wait "$DOTNET_PID" 2>/dev/null
  fi
  if [[ -n "$REDIS_PORT" ]]; then
    # Also reaches a redis a test may have restarted on the same port.
    timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1
  fi
  if [[ -n "$REDIS_PID" ]]; then
    kill "$REDIS_PID" 2>/dev/null
    for _ in {1..50}; do kill -0 "$REDIS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$REDIS_PID" 2>/dev/null
    wait "$REDIS_PID" 2>/dev/null
  fi
  if [[ -n "$PG_DATA" && -f "$PG_DATA/postmaster.pid" ]]; then
    (cd "$WORK" && "${RUN_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -t 30 stop) >/dev/null 2>&1
    if [[ -f "$PG_DATA/postmaster.pid" ]]; then
      local pid
      pid="$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null)"
      [[ "$pid" =~ ^[0-9]+$ ]] && kill -9 "$pid" 2>/dev/null
    fi
  fi
  [[ -n "$WORK" && -d "$WORK" ]] && rm -rf "$WORK"
  return 0
}
on_exit() {
  local rc=$?
  teardown
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK="$(mktemp -d "${TMPDIR:-/tmp}/crm-test.XXXXXXXX")"
chmod 755 "$WORK"   # the postgres user must be able to traverse it
mkdir -p "$WORK/pg" "$WORK/redis" "$WORK/results"
PG_DATA="$WORK/pg/data"
PG_LOG="$WORK/pg/postgres.log"
REDIS_LOG="$WORK/redis/redis.log"
mkdir -p "$WORK/pg/sock"
[[ "$(id -u)" == "0" ]] && chown -R "$PG_USER" "$WORK/pg"
chmod 700 "$WORK/pg"

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------
PG_PORT="$(free_port)" || die "no free port for PostgreSQL"
log "starting PostgreSQL $(basename "$(dirname "$PG_BIN")") on port $PG_PORT"
t0="$(now)"
pg_fail() {
  printf 'error: %s\n--- tail of %s ---\n' "$1" "$PG_LOG" >&2
  tail -n 30 "$PG_LOG" >&2 2>/dev/null || true
  exit 1
}
(cd "$WORK" && "${RUN_PG[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust \
  -E UTF8 --locale=C.UTF-8 --no-sync) >"$WORK/pg/initdb.log" 2>&1 ||
  { cat "$WORK/pg/initdb.log" >>"$PG_LOG"; pg_fail "initdb failed"; }

# Settings live in postgresql.conf so a test that restarts the server keeps them.
cat >>"$PG_DATA/postgresql.conf" <<EOF

# --- scripts/test.sh ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$WORK/pg/sock'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
cat >"$PG_DATA/pg_hba.conf" <<EOF
local all all               trust
host  all all 127.0.0.1/32  trust
EOF

(cd "$WORK" && "${RUN_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start) >/dev/null 2>&1 ||
  pg_fail "PostgreSQL failed to start"
for i in {1..100}; do
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break
  ((i == 100)) && pg_fail "PostgreSQL not ready after 20s"
  sleep 0.2
done
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres -O postgres crm_test >>"$PG_LOG" 2>&1 ||
  pg_fail "createdb crm_test failed"
log "PostgreSQL ready in $(elapsed "$t0")"

# ---------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------
REDIS_PORT="$(free_port "$PG_PORT")" || die "no free port for Redis"
log "starting Redis on port $REDIS_PORT"
t0="$(now)"
redis_fail() {
  printf 'error: %s\n--- tail of %s ---\n' "$1" "$REDIS_LOG" >&2
  tail -n 30 "$REDIS_LOG" >&2 2>/dev/null || true
  exit 1
}
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
  --daemonize no --dir "$WORK/redis" >"$REDIS_LOG" 2>&1 &
REDIS_PID=$!
for i in {1..100}; do
  [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]] && break
  kill -0 "$REDIS_PID" 2>/dev/null || redis_fail "redis-server exited"
  ((i == 100)) && redis_fail "Redis not answering PING after 20s"
  sleep 0.2
done
log "Redis ready in $(elapsed "$t0")"

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
