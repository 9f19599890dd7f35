#!/usr/bin/env bash
# The query benchmark, end to end: a throwaway PostgreSQL, the server built in Release, and for each dataset
# size a fresh database, `Crm.Bench generate`, the server, `Crm.Bench run`. Results go to
# bench/results/query-<size>-<date>.md (plus the 10x growth of the inbox when two or more sizes ran).
# Everything it started is removed at the end, even on failure or Ctrl-C.
#
#   bench/run-query-bench.sh                  # 10,000 and 100,000 contacts, 10 activities per contact
#   bench/run-query-bench.sh 2000             # a quick smoke run
#
# Environment: BENCH_ACTIVITIES_PER_CONTACT (10), BENCH_ROUNDS (20), BENCH_REQUESTS (25), BENCH_WARMUP (50),
# BENCH_RESULTS (bench/results), CRM_TEST_INSTALL=0 forbids installing PostgreSQL with apt-get.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

SIZES=("$@")
((${#SIZES[@]})) || SIZES=(10000 100000)
PER_CONTACT="${BENCH_ACTIVITIES_PER_CONTACT:-10}"
RESULTS="${BENCH_RESULTS:-bench/results}"
for s in "${SIZES[@]}"; do [[ "$s" =~ ^[0-9]+$ && "$s" -gt 0 ]] || { echo "error: sizes are contact counts, not '$s'" >&2; exit 2; }; done

log() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Prerequisites (as scripts/test.sh)
# ---------------------------------------------------------------------------
find_pg_bin() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then printf '%s' "$d"; return 0; fi
  if command -v pg_config >/dev/null 2>&1; then
    d="$(pg_config --bindir 2>/dev/null || true)"
    if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then printf '%s' "$d"; return 0; fi
  fi
  return 1
}

command -v dotnet >/dev/null 2>&1 || die "dotnet SDK not found on PATH"
command -v curl >/dev/null 2>&1 || die "curl not found"
if ! find_pg_bin >/dev/null; then
  [[ "${CRM_TEST_INSTALL:-1}" != "0" && "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1 ||
    die "PostgreSQL not found. Install with: apt-get install -y postgresql"
  log "installing PostgreSQL"
  apt-get update -qq
  pkg=postgresql
  apt-cache show postgresql-15 >/dev/null 2>&1 && pkg=postgresql-15
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
fi
PG_BIN="$(find_pg_bin)" || die "PostgreSQL server binaries (initdb, pg_ctl) not found"

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

free_port() {
  python3 - "$@" <<'PY'
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
}

# ---------------------------------------------------------------------------
# Teardown (always)
# ---------------------------------------------------------------------------
WORK=""
PG_DATA=""
SERVER_PID=""

stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in {1..100}; do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
  return 0
}

teardown() {
  set +e
  stop_server
  if [[ -n "$PG_DATA" && -f "$PG_DATA/postmaster.pid" ]]; then
    (cd "$WORK" && "${RUN_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -t 30 stop) >/dev/null 2>&1
    if [[ -f "$PG_DATA/postmaster.pid" ]]; then
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

WORK="$(mktemp -d "${TMPDIR:-/tmp}/crm-bench.XXXXXXXX")"
chmod 755 "$WORK"
mkdir -p "$WORK/pg/sock"
PG_DATA="$WORK/pg/data"
PG_LOG="$WORK/pg/postgres.log"
[[ "$(id -u)" == "0" ]] && chown -R "$PG_USER" "$WORK/pg"
chmod 700 "$WORK/pg"

# ---------------------------------------------------------------------------
# PostgreSQL: throwaway, durability off (nothing here must survive), memory for the largest dataset
# ---------------------------------------------------------------------------
PG_PORT="$(free_port)" || die "no free port for PostgreSQL"
log "starting PostgreSQL $(basename "$(dirname "$PG_BIN")") on port $PG_PORT"
pg_fail() {
  printf 'error: %s\n--- tail of %s ---\n' "$1" "$PG_LOG" >&2
  tail -n 30 "$PG_LOG" >&2 2>/dev/null || true
  exit 1
}
(cd "$WORK" && "${RUN_PG[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync) \
  >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
cat >>"$PG_DATA/postgresql.conf" <<EOF

# --- bench/run-query-bench.sh ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$WORK/pg/sock'
max_connections = 100
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 1GB
effective_cache_size = 4GB
work_mem = 16MB
maintenance_work_mem = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min
# Off, as on most OLTP deployments: JIT compilation adds tens of ms to any statement over its cost threshold.
jit = off
EOF
cat >"$PG_DATA/pg_hba.conf" <<EOF
local all all               trust
host  all all 127.0.0.1/32  trust
EOF
(cd "$WORK" && "${RUN_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start) >/dev/null 2>&1 ||
  pg_fail "PostgreSQL failed to start"
PG_ADMIN=("-h" "127.0.0.1" "-p" "$PG_PORT" "-U" "postgres")
DB="Host=127.0.0.1;Port=$PG_PORT;Database=crm_bench;Username=postgres;Pooling=true"

# ---------------------------------------------------------------------------
# Build: the server exactly as deployed (Release), and the benchmark
# ---------------------------------------------------------------------------
log "building the server and Crm.Bench in Release"
dotnet build -c Release src/Crm.GraphQL -nologo -v q >"$WORK/build-server.log" 2>&1 || { tail -n 30 "$WORK/build-server.log" >&2; die "server build failed"; }
dotnet build -c Release bench/Crm.Bench -nologo -v q >"$WORK/build-bench.log" 2>&1 || { tail -n 30 "$WORK/build-bench.log" >&2; die "Crm.Bench build failed"; }
SERVER_DLL="src/Crm.GraphQL/bin/Release/net10.0/Crm.GraphQL.dll"
BENCH=(dotnet bench/Crm.Bench/bin/Release/net10.0/Crm.Bench.dll)
COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo '+uncommitted changes in src')"

# A fresh admin per run; the benchmark signs in with it and mints an API key.
ADMIN_EMAIL="bench@example.com"
ADMIN_PASSWORD="Bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')-Z9"

label() { # 10000 -> 10k, 1500 -> 1.5k, 2000000 -> 2m
  awk -v n="$1" 'BEGIN { if (n >= 1000000) printf "%gm", n / 1000000; else if (n >= 1000) printf "%gk", n / 1000; else printf "%d", n }'
}

DATE="$(date -u +%Y-%m-%d)"
mkdir -p "$RESULTS"
summaries=()
files=()
for contacts in "${SIZES[@]}"; do
  name="$(label "$contacts")"
  activities=$((contacts * PER_CONTACT))
  log "dataset $name: $contacts contacts, $activities activities"
  "$PG_BIN/dropdb" "${PG_ADMIN[@]}" --if-exists crm_bench
  "$PG_BIN/createdb" "${PG_ADMIN[@]}" -O postgres crm_bench
  "${BENCH[@]}" generate --db "$DB" --contacts "$contacts" --activities "$activities"

  SERVER_PORT="$(free_port "$PG_PORT")" || die "no free port for the server"
  # The content root is the build output: from the repository root the host would not find its appsettings.json
  # and would log every request and SQL command at Information, which costs more than some queries.
  log "starting the server on port $SERVER_PORT"
  ConnectionStrings__Crm="$DB" ASPNETCORE_ENVIRONMENT=Production Crm__SeedDemoData=false \
    Crm__Admin__Email="$ADMIN_EMAIL" Crm__Admin__Password="$ADMIN_PASSWORD" Auth__RequestsPerMinute=100000000 \
    dotnet "$SERVER_DLL" --urls "http://127.0.0.1:$SERVER_PORT" --contentRoot "$ROOT/$(dirname "$SERVER_DLL")" >"$WORK/server-$name.log" 2>&1 &
  SERVER_PID=$!
  for i in {1..120}; do
    curl -sf "http://127.0.0.1:$SERVER_PORT/health/ready" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 30 "$WORK/server-$name.log" >&2; die "the server exited"; }
    ((i == 120)) && { tail -n 30 "$WORK/server-$name.log" >&2; die "the server is not ready after 60s"; }
    sleep 0.5
  done

  out="$RESULTS/query-$name-$DATE.md"
  "${BENCH[@]}" run --db "$DB" --url "http://127.0.0.1:$SERVER_PORT" --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" \
    --label "$name" --out "$out" --json "$WORK/$name.json" --commit "$COMMIT" \
    --rounds "${BENCH_ROUNDS:-20}" --requests "${BENCH_REQUESTS:-25}" --warmup "${BENCH_WARMUP:-50}"
  stop_server
  summaries+=("$WORK/$name.json")
  files+=("$out")
done

if ((${#summaries[@]} >= 2)); then
  # The issue's goal: 10x the data grows inbox latency by less than 1.5x. Written into the larger run's file.
  "${BENCH[@]}" growth --small "${summaries[0]}" --large "${summaries[-1]}" --append "${files[-1]}"
fi
log "results: ${files[*]}"
